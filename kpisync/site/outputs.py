"""Publish a build: every output kpis.yaml enables writes into one staging directory, which
then replaces the output directory whole.

The outputs are the registry's (``kpisync.registry.Output``): kpisync's own HTML site and CSV
and JSON exports (``kpisync.builtins``) and any plugin's, enabled and configured under
``outputs:`` in kpis.yaml. They all write into a temporary sibling of the output directory;
only when every one has finished does that directory take the output directory's place (two
renames). An output that raises is named in the error, and the build stops before the swap,
so a static host keeps serving the previous site whole.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kpisync.compute.drill import RecordList
from kpisync.compute.model import Scorecard
from kpisync.config.plugin_options import default_outputs
from kpisync.errors import KpisyncError, PluginError, SiteError
from kpisync.registry import CORE, OutputRun, Registry, registry
from kpisync.site.viewdata import INDEX_PAGE

#: the output that writes the HTML pages (``kpisync.builtins``); it returns how many
HTML = "html"
#: left by a build without the HTML site, so that the next build knows the directory for its
#: own (a site is known by its index.html) and may replace it
OUTPUTS_MARKER = ".kpisync-outputs"


@dataclass(frozen=True)
class SiteReport:
    out_dir: Path
    #: the site's front page; None when kpis.yaml turns the HTML site off
    index_path: Path | None
    #: HTML pages written
    pages: int
    #: every file written: pages, stylesheet and exports
    files: int
    #: the outputs written, in order
    outputs: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        """One line for the CLI: what was written where."""
        if self.index_path is not None:
            return f"Wrote {self.pages} pages to {self.index_path}"
        written = ", ".join(self.outputs) or "nothing"
        return f"Wrote {written} to {self.out_dir} (no HTML site: outputs: html: false)"


def publish(scorecard: Scorecard, out_dir: Path, *, generated_at: datetime,
            templates_dir: Path | None = None, records: tuple[RecordList, ...] = (),
            freshness: object = None, extensions: Registry | None = None) -> SiteReport:
    """Run every enabled output into a staging copy of ``out_dir``, then swap it in.

    ``out_dir`` must be absent, empty or a previous kpisync build (it has an index.html, or
    the marker a build without the HTML site leaves): anything else is refused rather than
    deleted. Raises ``SiteError`` when the directory cannot be written and ``PluginError``
    (or the core output's own error) naming the output that failed; in every case the
    previous contents of ``out_dir`` are left untouched."""
    target = Path(out_dir).resolve()
    _check_replaceable(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    except OSError as exc:
        raise SiteError(f"cannot write the site to {out_dir}: {exc}") from exc
    try:
        context = OutputRun(scorecard, staging, generated_at, {}, templates_dir=templates_dir,
                            records=records, freshness=freshness)
        results = run_outputs(context, extensions, destination=Path(out_dir))
        if HTML not in results:
            (staging / OUTPUTS_MARKER).write_text(
                "written by kpisync build: " + ", ".join(results) + "\n", encoding="utf-8")
        files = sum(1 for p in staging.rglob("*") if p.is_file() and p.name != OUTPUTS_MARKER)
        _swap_in(staging, target)
    except OSError as exc:
        raise SiteError(f"cannot write the site to {out_dir}: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    pages = results.get(HTML)
    return SiteReport(out_dir=Path(out_dir),
                      index_path=Path(out_dir) / INDEX_PAGE if HTML in results else None,
                      pages=pages if isinstance(pages, int) else 0, files=files,
                      outputs=tuple(results))


def run_outputs(context: OutputRun, extensions: Registry | None = None, *,
                destination: Path | None = None) -> dict[str, object]:
    """Run every output kpis.yaml enables into ``context.root``, each with its own options;
    returns what each returned, by name, in order. ``destination`` is the directory the
    staging copy will replace, as error messages name it."""
    extensions = extensions or registry()
    settings = context.scorecard.config.outputs
    if settings is None:  # a Config built in Python, not read from kpis.yaml
        settings = default_outputs(extensions)
    results: dict[str, object] = {}
    for setting in settings:
        output = extensions.outputs.get(setting.name)
        if output is None:
            raise PluginError(f"kpis.yaml enables the output {setting.name!r}, which no "
                              "installed plugin provides")
        owner = extensions.owner("output", output.name)
        try:
            results[output.name] = output.write(context.with_options(setting.options))
        except KpisyncError as exc:
            if owner != CORE:
                raise
            # kpisync's own outputs fail with their own kind of error, naming themselves
            raise type(exc)(f"the output {output.name!r} failed: {exc}") from exc
        except OSError as exc:
            if owner == CORE:
                raise SiteError(f"the output {output.name!r} failed: cannot write the site "
                                f"to {destination or context.root}: {exc}") from exc
            raise _plugin_failed(output.name, owner, exc) from exc
        except Exception as exc:
            raise _plugin_failed(output.name, owner, exc) from exc
    return results


def _plugin_failed(name: str, owner: str, exc: Exception) -> PluginError:
    return PluginError(f"the output {name!r} of plugin {owner!r} failed: "
                       f"{type(exc).__name__}: {exc}")


def _check_replaceable(target: Path) -> None:
    if not target.exists():
        return
    if not target.is_dir():
        raise SiteError(f"{target} exists and is not a directory")
    ours = (target / INDEX_PAGE).is_file() or (target / OUTPUTS_MARKER).is_file()
    if any(target.iterdir()) and not ours:
        raise SiteError(
            f"{target} is not empty and holds no {INDEX_PAGE}: refusing to replace it"
            " (choose another --out directory)"
        )


def _swap_in(staging: Path, target: Path) -> None:
    """Move the finished build into place: old aside, new in, old removed.

    Two renames within one directory: a reader sees the old site or the new one, never a mix.
    If the second rename fails the old site is moved back.
    """
    if not target.exists():
        staging.rename(target)
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    old = aside / target.name
    try:
        target.rename(old)
        try:
            staging.rename(target)
        except OSError:
            old.rename(target)
            raise
    finally:
        shutil.rmtree(aside, ignore_errors=True)
