"""The extension points' types and the one loaded registry that config, sync, compute and site
read: sources, measures and outputs, registered the same way by kpisync and by plugins.

This module sits low in the package (it imports only ``errors`` and ``sobjects``) so that every
stage can read the registry without an import running back up to a later stage: what a
measure receives (a KPI) and what an output receives (a scorecard) are typed by their
docstrings here, not by imports.

A plugin is an installed package that declares an entry point in the ``kpisync.plugins`` group
(the older group ``kpisync`` is still read) pointing at a module with ``register(registry)``::

    [project.entry-points."kpisync.plugins"]
    monday_digest = "kpisync_monday_digest.plugin"

kpisync's own pieces are in ``kpisync.builtins`` and go through the same ``register`` call, so a
plugin can do anything the core does, and a name clash is reported instead of silently
shadowing. See docs/plugins.md.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

from sqlglot import exp

from kpisync import sobjects
from kpisync.errors import KpisyncError, PluginError
from kpisync.sobjects import FIELD_NAME, STORE_TABLE_PREFIX, SObject

ENTRY_POINT_GROUP = "kpisync.plugins"
#: read too, so plugins published before the group was renamed keep working
LEGACY_ENTRY_POINT_GROUP = "kpisync"
BUILTINS = "kpisync.builtins"
#: the plugin name kpisync's own pieces are registered under
CORE = "core"

#: the option types a plugin may declare, and the JSON Schema type each is published as
OPTION_TYPES = {"string": "string", "integer": "integer", "number": "number",
                "boolean": "boolean", "strings": "array"}


@dataclass(frozen=True)
class Option:
    """One option a plugin piece accepts in kpis.yaml; validated like the core's own keys."""

    name: str
    #: one of OPTION_TYPES: string, integer, number (read as Decimal), boolean, strings (a list)
    type: str = "string"
    help: str = ""
    required: bool = False
    #: the value when the option is left out (None: absent)
    default: Any = None
    #: for a string: the values allowed
    choices: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.type not in OPTION_TYPES:
            raise ValueError(f"option {self.name!r}: type must be one of "
                             f"{', '.join(OPTION_TYPES)}, got {self.type!r}")


Options = tuple[Option, ...]


@dataclass(frozen=True)
class FieldRef:
    """A source field as the SQL sees it: its column expression and Salesforce type."""

    column: exp.Expression
    sf_type: str


FieldResolver = Callable[[str], FieldRef]
LocalDate = Callable[[FieldRef], exp.Expression]


@dataclass(frozen=True)
class SqlMeasure:
    """A measure that SQL evaluates. ``value(kpi, field, local_date)`` builds the per-record
    expression from the KPI (a ``kpisync.config.model.Kpi``) and a resolver of field names;
    ``aggregate`` folds those values for one scope and period.

    A plugin measure is used in kpis.yaml as ``measure: {NAME: {field: F, OPTION: ...}}``
    (``measure: NAME`` when it takes no field and no required option); ``kpi.measure.field``
    and ``kpi.measure.option(name)`` carry what was written there."""

    name: str
    value: Callable[[Any, FieldResolver, LocalDate], exp.Expression]
    aggregate: Callable[[exp.Expression], exp.Expression]
    #: counts and sums add up across reps; averages do not
    additive: bool
    #: for a plugin measure: does it read one field of the KPI's source
    takes_field: bool = False
    #: for a plugin measure: the Salesforce types its field may have (empty: any)
    field_types: tuple[str, ...] = ()
    options: Options = ()
    description: str = ""


@dataclass(frozen=True)
class OutputRun:
    """What an output receives after a build."""

    #: the computed figures (a ``kpisync.compute.model.Scorecard``)
    scorecard: Any
    #: the staging copy of the site: write here, never anywhere else
    root: Path
    generated_at: datetime
    #: this output's options from kpis.yaml (``outputs: NAME:``), defaults filled in
    options: Mapping[str, Any]
    #: the directory of template overrides (``kpisync build --templates``), if any
    templates_dir: Path | None = None
    #: the drill-through record lists (``kpisync.compute.drill.RecordList``) read from the store
    records: tuple[Any, ...] = ()
    #: when the store was last synced (``kpisync.site.shell.Freshness``); None off the store
    freshness: Any = None

    def with_options(self, options: Mapping[str, Any]) -> OutputRun:
        """The same build, as seen by an output with ``options``."""
        return replace(self, options=dict(options))


@dataclass(frozen=True)
class Output:
    """Something ``kpisync build`` writes from the scorecard into the site directory.

    ``write(run)`` runs inside the atomic build: it writes into the staging copy of the site,
    so a failing output leaves the published site untouched."""

    name: str
    description: str
    write: Callable[[OutputRun], object]
    options: Options = ()
    #: written without being listed under ``outputs:`` (kpisync's CSV and JSON exports)
    default: bool = False


@dataclass(frozen=True)
class SourceRun:
    """What a store source receives: a DuckDB connection inside an open transaction, and the
    plugin's options from kpis.yaml (``plugins: NAME:``)."""

    connection: Any
    options: Mapping[str, Any]
    source: str

    def table(self, name: str) -> str:
        """The store table ``name`` of this source: ``ext_<source>_<name>``, so a source can
        never write over kpisync's ``sf_*`` tables or another source's."""
        return f"ext_{self.source}_{name}"


@dataclass(frozen=True)
class StoreTable:
    """A table a store source writes that KPIs may read: ``source: ext_<source>_<name>`` in
    kpis.yaml, measured by the same SQL as a Salesforce object.

    The table has the columns ``Id`` (text, unique), ``IsDeleted`` (boolean: true rows are not
    counted, as in the ``sf_*`` tables), the ``credit`` column (the Salesforce User Id of the
    rep a row counts for) and ``fields``; the sync checks them after the source runs."""

    name: str
    #: column -> Salesforce describe type (``string``, ``int``, ``double``, ``currency``,
    #: ``boolean``, ``date``, ``datetime``, ...), as KPIs' filters and measures check them
    fields: Mapping[str, str]
    #: the date or datetime column that puts a row in a period when a KPI does not say
    date: str
    #: the column holding the credited user's Id; it also gives the ``Owner.*`` lookups
    credit: str = "OwnerId"

    def sobject(self, source: str) -> SObject:
        """The table as the catalogue lists it, so config, SQL and field checks read it like
        any object."""
        fields = {"Id": "id", "IsDeleted": "boolean", self.credit: "reference", **self.fields}
        name = f"{STORE_TABLE_PREFIX}{source}_{self.name}"
        wrong = [n for n in (self.name, *fields) if not FIELD_NAME.match(n)]
        if wrong:
            raise PluginError(f"the table {name!r}: {wrong[0]!r} is not a column name (a "
                              "letter, then letters, digits and underscores)")
        if fields.get(self.date) not in ("date", "datetime"):
            raise PluginError(f"the table {name!r}: date {self.date!r} must be one of its "
                              "date or datetime fields")
        if fields[self.credit] != "reference":
            raise PluginError(f"the table {name!r}: credit {self.credit!r} must be a "
                              "reference field (a Salesforce User Id)")
        return SObject(name, fields, default_credit=self.credit, default_date=self.date,
                       relationships={"Owner": (self.credit, "User")}, store_source=source)


@dataclass(frozen=True)
class StoreSource:
    """A non-Salesforce source: ``kpisync sync`` runs ``sync(run)`` after the Salesforce
    objects, in one transaction, rolled back if it raises. On unless kpis.yaml's
    ``store_sources:`` turns it off."""

    name: str
    description: str
    sync: Callable[[SourceRun], object]
    #: the tables it writes that KPIs may use as their source
    tables: tuple[StoreTable, ...] = ()


@dataclass(frozen=True)
class Plugin:
    """An installed plugin: where it came from and what it registered."""

    name: str
    module: str
    #: the distribution that installed it, and its version ("" for an unpackaged module)
    distribution: str = ""
    version: str = ""


@dataclass
class Registry:
    """Every source, measure and output, and the plugin that registered each."""

    sources: dict[str, SObject] = field(default_factory=dict)
    store_sources: dict[str, StoreSource] = field(default_factory=dict)
    measures: dict[str, SqlMeasure] = field(default_factory=dict)
    outputs: dict[str, Output] = field(default_factory=dict)
    plugins: dict[str, Plugin] = field(default_factory=dict)
    #: each plugin's own options (``plugins: NAME:`` in kpis.yaml)
    plugin_options: dict[str, Options] = field(default_factory=dict)
    #: (kind, name) -> the plugin that registered it
    owners: dict[tuple[str, str], str] = field(default_factory=dict)
    _loading: str = CORE

    def add_source(self, source: SObject) -> None:
        self._add(self.sources, "source", source.name, source)

    def add_store_source(self, source: StoreSource) -> None:
        """The source, and each of its tables as a source KPIs can read."""
        tables = [table.sobject(source.name) for table in source.tables]
        self._add(self.store_sources, "store source", source.name, source)
        for table in tables:
            self.add_source(table)

    def add_measure(self, measure: SqlMeasure) -> None:
        if self._loading != CORE:
            measure = _named_on_failure(measure, self._loading)
        self._add(self.measures, "measure", measure.name, measure)

    def add_output(self, output: Output) -> None:
        self._add(self.outputs, "output", output.name, output)

    def add_options(self, *options: Option) -> None:
        """The options the registering plugin reads from ``plugins: NAME:`` in kpis.yaml."""
        self.plugin_options[self._loading] = tuple(options)

    def owner(self, kind: str, name: str) -> str:
        return self.owners.get((kind, name), CORE)

    def provided_by(self, plugin: str) -> list[tuple[str, str]]:
        """(kind, name) of everything ``plugin`` registered, in registration order."""
        return [key for key, owner in self.owners.items() if owner == plugin]

    @contextmanager
    def loading(self, plugin: Plugin) -> Iterator[None]:
        """Pieces registered inside this block belong to ``plugin``."""
        self.plugins[plugin.name] = plugin
        self._loading = plugin.name
        try:
            yield
        finally:
            self._loading = CORE

    def _add(self, table: dict, kind: str, name: str, item: object) -> None:
        if name in table:
            first = self.owner(kind, name)
            raise PluginError(f"two plugins register the {kind} {name!r} ({first!r} and "
                              f"{self._loading!r}); uninstall one of them")
        table[name] = item
        self.owners[(kind, name)] = self._loading


def _named_on_failure(measure: SqlMeasure, plugin: str) -> SqlMeasure:
    """``measure`` whose SQL builders raise a PluginError naming it and ``plugin`` when they
    fail or return something other than a sqlglot expression, instead of a traceback that
    looks like kpisync's own bug."""
    def guard(part: str, build: Callable[..., exp.Expression]) -> Callable[..., exp.Expression]:
        def run(*args: Any) -> exp.Expression:
            try:
                built = build(*args)
            except KpisyncError:
                raise
            except Exception as exc:
                raise PluginError(f"the measure {measure.name!r} of plugin {plugin!r} failed "
                                  f"to build its SQL ({part}): {type(exc).__name__}: {exc}"
                                  ) from exc
            if not isinstance(built, exp.Expression):
                raise PluginError(f"the measure {measure.name!r} of plugin {plugin!r} returned "
                                  f"{type(built).__name__} from {part}, not a sqlglot "
                                  "expression")
            return built
        return run

    return replace(measure, value=guard("value", measure.value),
                   aggregate=guard("aggregate", measure.aggregate))


def plugin_entry_points() -> list[EntryPoint]:
    """The installed plugins' entry points, new group first, each module once."""
    found: dict[str, EntryPoint] = {}
    for group in (ENTRY_POINT_GROUP, LEGACY_ENTRY_POINT_GROUP):
        for ep in entry_points(group=group):
            if ep.value != BUILTINS:
                found.setdefault(ep.value, ep)
    return list(found.values())


def load_registry(*, include_plugins: bool = True) -> Registry:
    """kpisync's built-in pieces, then every installed plugin's. Raises PluginError naming a
    plugin that fails to import or to register."""
    registry = Registry()
    with registry.loading(Plugin(CORE, BUILTINS, "kpisync", _version("kpisync"))):
        importlib.import_module(BUILTINS).register(registry)
    if include_plugins:
        for ep in plugin_entry_points():
            dist = getattr(ep, "dist", None)
            plugin = Plugin(ep.name, ep.value, dist.name if dist else "",
                            dist.version if dist else "")
            if ep.name in registry.plugins:
                raise PluginError(f"two installed plugins are named {ep.name!r} "
                                  f"({registry.plugins[ep.name].module} and {ep.value}); "
                                  "uninstall one of them")
            try:
                with registry.loading(plugin):
                    ep.load().register(registry)
            except KpisyncError:
                raise
            except Exception as exc:  # a broken plugin must not look like a kpisync bug
                raise PluginError(f"plugin {ep.name!r} ({ep.value}) failed to load: "
                                  f"{exc}") from exc
    return registry


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return ""


_active: list[Registry] = []


def registry() -> Registry:
    """The process-wide registry, loaded once (or the one ``using`` put in place)."""
    return _active[-1] if _active else _loaded()


@cache
def _loaded() -> Registry:
    return load_registry()


# resolve_path and the field checks look objects up in the loaded registry
sobjects.use_catalogue(lambda: registry().sources)


@contextmanager
def using(replacement: Registry) -> Iterator[Registry]:
    """Make ``registry()`` return ``replacement`` inside the block: how tests (and tools that
    load plugins from elsewhere) put a registry in place without installing anything."""
    _active.append(replacement)
    try:
        yield replacement
    finally:
        _active.pop()
