"""``kpisync plugins``: the installed plugins, their versions and what each provides.

The registry itself is ``kpisync.registry`` (low in the package, so every stage can read it);
this module only describes it for people.
"""

from __future__ import annotations

from dataclasses import dataclass

from kpisync.registry import Registry, registry

#: each kind of piece, singular and plural, in the order shown
KINDS = (("source", "sources"), ("store source", "store sources"), ("measure", "measures"),
         ("output", "outputs"), ("options", "options"))


@dataclass(frozen=True)
class PluginListing:
    """One installed plugin as ``kpisync plugins`` shows it."""

    name: str
    distribution: str
    version: str
    module: str
    #: (kind, name) of each piece, such as ("output", "monday_digest")
    provides: tuple[tuple[str, str], ...]


def listings(extensions: Registry | None = None) -> list[PluginListing]:
    """Every plugin of the registry, kpisync's own first."""
    extensions = extensions or registry()
    found = []
    for plugin in extensions.plugins.values():
        provides = list(extensions.provided_by(plugin.name))
        provides += [("options", o.name) for o in extensions.plugin_options.get(plugin.name, ())]
        found.append(PluginListing(plugin.name, plugin.distribution, plugin.version,
                                   plugin.module, tuple(provides)))
    return found


def describe(extensions: Registry | None = None) -> str:
    """The text ``kpisync plugins`` prints: a heading per plugin, a line per kind."""
    lines = []
    for listing in listings(extensions):
        origin = f"{listing.distribution} {listing.version}".strip() or "not packaged"
        lines.append(f"{listing.name} ({origin}) from {listing.module}")
        for kind, plural in KINDS:
            names = [name for k, name in listing.provides if k == kind]
            if names:
                lines.append(f"  {kind if len(names) == 1 else plural}: {', '.join(names)}")
    return "\n".join(lines)
