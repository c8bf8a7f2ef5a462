"""Render the scorecard site: kpisync's ``html`` output.

``render_site`` writes the pages, stylesheet and scripts into the build's staging directory;
``kpisync.site.outputs.publish`` runs it with the other outputs (exports, plugins') and swaps
the finished directory into place atomically, so a failed build never leaves a half-written
site on a static host: the previous one stays served.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import jinja2

from kpisync.compute.drill import RecordList
from kpisync.compute.model import Scorecard
from kpisync.errors import SiteError
from kpisync.site.outputs import SiteReport, publish
from kpisync.site.pages import Job, site_jobs
from kpisync.site.shell import PLAIN_SHELL, Freshness, ShellMaker, allow_inline_scripts
from kpisync.site.viewdata import FAVICON, STYLESHEET
from kpisync.site.views import Site
from kpisync.site.workers import render_all, worker_count

#: copied verbatim (not rendered) from the template directories
STATIC_FILES = {"style.css": STYLESHEET, "favicon.svg": FAVICON}
#: where the scripts go: every ``*.js`` file of the template directories, loaded by every page
SCRIPTS_DIR = "assets"


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
    """Write the whole site for ``scorecard`` to ``out_dir``, replacing what was there: every
    output kpis.yaml enables (this HTML site, the exports, plugins') is written into a staging
    directory that is then swapped in (``kpisync.site.outputs.publish``).

    ``out_dir`` must be absent, empty or a previous kpisync site (it has an index.html):
    anything else is refused rather than deleted. ``records`` are the drill-through lists
    (``kpisync.compute.drill``). Raises ``SiteError`` when a template fails or the files cannot
    be written; the previous site is then left untouched.

    ``freshness`` (from the store's sync state) puts the sync time in every page's header and
    the stale-data banner on every page once it is older than kpis.yaml's ``site.stale_after``;
    without it neither is shown.
    """
    if templates_dir is not None and not Path(templates_dir).is_dir():
        raise SiteError(f"template directory {templates_dir} does not exist")
    return publish(scorecard, Path(out_dir), generated_at=generated_at or datetime.now(UTC),
                   templates_dir=templates_dir, records=records, freshness=freshness)


def render_site(
    scorecard: Scorecard,
    root: Path,
    *,
    generated_at: datetime,
    templates_dir: Path | None = None,
    records: tuple[RecordList, ...] = (),
    freshness: Freshness | None = None,
) -> int:
    """Render every page, the stylesheet and the scripts into the directory ``root`` (the
    build's staging copy); returns how many pages. This is kpisync's ``html`` output
    (``kpisync.builtins``). Raises ``SiteError`` when a template fails."""
    env = environment(templates_dir)
    try:
        scripts = _scripts(env)
        shells = ShellMaker(scorecard.config, tuple(scripts.values()), generated_at, freshness)
        site = Site(scorecard, generated_at, records=records)
        pages = _render_pages(env, site, shells, root)
        _copy_static(env, {**STATIC_FILES, **scripts}, root)
    except jinja2.TemplateError as exc:
        raise SiteError(f"the site templates failed: {_describe_template_error(exc)}") from exc
    return pages


def _scripts(env: jinja2.Environment) -> dict[str, str]:
    """Template-directory name -> site path of every script, in name order (so that the pages
    list them the same way in every build)."""
    names = env.list_templates(filter_func=lambda name: name.endswith(".js") and "/" not in name)
    return {name: f"{SCRIPTS_DIR}/{name}" for name in sorted(names)}


def _render_pages(env: jinja2.Environment, site: Site, shells: ShellMaker, root: Path) -> int:
    """Write every page, on every core for a big site (``kpisync.site.workers``); returns how
    many pages."""
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

    return render_all(jobs, render, worker_count(len(jobs)))


def _copy_static(env: jinja2.Environment, files: dict[str, str], root: Path) -> None:
    """Static files come through the loader too, so an override directory can restyle."""
    for name, path in files.items():
        source, _, _ = env.loader.get_source(env, name)
        _write_text(root / path, source)


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _describe_template_error(exc: jinja2.TemplateError) -> str:
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"{exc.filename or exc.name}:{exc.lineno}: {exc.message}"
    return str(exc)
