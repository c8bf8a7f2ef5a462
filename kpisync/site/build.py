"""Render the scorecard site and swap it into place atomically.

Everything is written into a temporary sibling directory first; only when every page, the
stylesheet and both exports are written does it replace the output directory. A failed build
therefore never leaves a half-written site on a static host: the previous one stays served.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import jinja2

from kpisync.compute.drill import RecordList
from kpisync.compute.model import Scorecard
from kpisync.errors import SiteError
from kpisync.site.outputs import run_outputs
from kpisync.site.pages import Job, site_jobs
from kpisync.site.shell import PLAIN_SHELL, Freshness, ShellMaker, allow_inline_scripts
from kpisync.site.viewdata import FAVICON, INDEX_PAGE, STYLESHEET
from kpisync.site.views import Site
from kpisync.site.workers import render_all, worker_count

#: copied verbatim (not rendered) from the template directories
STATIC_FILES = {"style.css": STYLESHEET, "favicon.svg": FAVICON}
#: where the scripts go: every ``*.js`` file of the template directories, loaded by every page
SCRIPTS_DIR = "assets"


@dataclass(frozen=True)
class SiteReport:
    out_dir: Path
    index_path: Path
    #: HTML pages written
    pages: int
    #: every file written: pages, stylesheet and exports
    files: int


def template_dir() -> Path:
    """kpisync's own templates: inside the package when installed from a wheel, else at the
    root of the source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "site_templates", here.parent.parent / "site_templates"):
        if (candidate / "base.html").is_file():
            return candidate
    raise SiteError(f"kpisync's site templates are missing (looked in {here.parent} and above)")


def environment(templates_dir: Path | None = None) -> jinja2.Environment:
    """A jinja2 environment reading ``templates_dir`` first, then kpisync's defaults, so a user
    overrides one template (or the stylesheet) without copying the others."""
    loaders = []
    if templates_dir is not None:
        if not Path(templates_dir).is_dir():
            raise SiteError(f"template directory {templates_dir} does not exist")
        loaders.append(jinja2.FileSystemLoader(str(templates_dir)))
    loaders.append(jinja2.FileSystemLoader(str(template_dir())))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(["html", "htm", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # The templates do not change during a build: no stat() of every template (and of
        # each one it imports) for each of thousands of pages.
        auto_reload=False,
    )
    env.globals["shell"] = PLAIN_SHELL  # the build passes each page's own
    return env


def build_site(
    scorecard: Scorecard,
    out_dir: Path,
    *,
    templates_dir: Path | None = None,
    generated_at: datetime | None = None,
    records: tuple[RecordList, ...] = (),
    freshness: Freshness | None = None,
) -> SiteReport:
    """Write the whole site for ``scorecard`` to ``out_dir``, replacing what was there.

    ``out_dir`` must be absent, empty or a previous kpisync site (it has an index.html):
    anything else is refused rather than deleted. ``records`` are the drill-through lists
    (``kpisync.compute.drill``). Raises ``SiteError`` when a template fails or the files cannot
    be written; the previous site is then left untouched.

    ``freshness`` (from the store's sync state) puts the sync time in every page's header and
    the stale-data banner on every page once it is older than kpis.yaml's ``site.stale_after``;
    without it neither is shown.
    """
    out_dir = Path(out_dir)
    generated_at = generated_at or datetime.now(UTC)
    env = environment(templates_dir)
    target = out_dir.resolve()
    _check_replaceable(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    except OSError as exc:
        raise SiteError(f"cannot write the site to {out_dir}: {exc}") from exc
    try:
        scripts = _scripts(env)
        shells = ShellMaker(scorecard.config, tuple(scripts.values()), generated_at, freshness)
        site = Site(scorecard, generated_at, records=records)
        # the exports are written while other processes render pages (kpisync.site.workers)
        pages = _render_pages(env, site, shells, staging,
                              alongside=lambda: _write_exports(scorecard, staging, generated_at))
        _copy_static(env, {**STATIC_FILES, **scripts}, staging)
        files = sum(1 for p in staging.rglob("*") if p.is_file())
        _swap_in(staging, target)
    except jinja2.TemplateError as exc:
        raise SiteError(f"the site templates failed: {_describe_template_error(exc)}") from exc
    except OSError as exc:
        raise SiteError(f"cannot write the site to {out_dir}: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return SiteReport(out_dir=out_dir, index_path=out_dir / INDEX_PAGE, pages=pages, files=files)


def _check_replaceable(target: Path) -> None:
    if not target.exists():
        return
    if not target.is_dir():
        raise SiteError(f"{target} exists and is not a directory")
    if any(target.iterdir()) and not (target / INDEX_PAGE).is_file():
        raise SiteError(
            f"{target} is not empty and holds no {INDEX_PAGE}: refusing to replace it"
            " (choose another --out directory)"
        )


def _scripts(env: jinja2.Environment) -> dict[str, str]:
    """Template-directory name -> site path of every script, in name order (so that the pages
    list them the same way in every build)."""
    names = env.list_templates(filter_func=lambda name: name.endswith(".js") and "/" not in name)
    return {name: f"{SCRIPTS_DIR}/{name}" for name in sorted(names)}


def _render_pages(env: jinja2.Environment, site: Site, shells: ShellMaker, root: Path,
                  alongside: Callable[[], None]) -> int:
    """Write every page, on every core for a big site (``kpisync.site.workers``), and run
    ``alongside`` meanwhile; returns how many pages."""
    jobs = site_jobs(site)

    def render(share: Iterable[Job]) -> int:
        count = 0
        for job in share:
            for path, template, view in job():
                shell = shells.shell(path)
                html = env.get_template(template).render(page=view, shell=shell)
                html = allow_inline_scripts(html, shell.csp, script_files=bool(shell.scripts))
                _write_text(root / path, html)
                count += 1
        return count

    return render_all(jobs, render, worker_count(len(jobs)), alongside)


def _copy_static(env: jinja2.Environment, files: dict[str, str], root: Path) -> None:
    """Static files come through the loader too, so an override directory can restyle."""
    for name, path in files.items():
        source, _, _ = env.loader.get_source(env, name)
        _write_text(root / path, source)


def _write_exports(scorecard: Scorecard, root: Path, generated_at: datetime) -> None:
    """Every registered output (kpisync's CSV and JSON exports, and plugins') writes into the
    staging directory, so it is published, or not, together with the pages."""
    run_outputs(scorecard, root, generated_at)


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _swap_in(staging: Path, target: Path) -> None:
    """Move the finished site into place: old aside, new in, old removed.

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


def _describe_template_error(exc: jinja2.TemplateError) -> str:
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"{exc.filename or exc.name}:{exc.lineno}: {exc.message}"
    return str(exc)
