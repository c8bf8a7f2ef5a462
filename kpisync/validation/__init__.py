"""``kpisync validate`` in stages: schema → semantics → online → dry run.

    from kpisync.validation import validate_file
    report = validate_file(Path("kpis.yaml"), online=False, dry_run=True)
    report.ok, report.failed_stage, report.findings

1. **schema**: the file reads as YAML and every key has the shape and type it must.
2. **semantics**: references resolve, fields exist on their objects, units fit their measures,
   ids are unique, the cascade's goal is one of its KPIs. Schema and semantics are checked in
   one pass (``kpisync.config``), so every problem of both is reported at once; each problem
   says which stage found it.
3. **online** (asked with ``--online``): every object and field the sync reads, described
   against the org (``kpisync.validation.online``).
4. **dry run**: every KPI's SQL executed on an empty in-memory store
   (``kpisync.validation.dryrun``).

A stage runs only when the ones before it passed: online and dry run need a valid ``Config``,
and the dry run uses the types the online stage described.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from kpisync.errors import ConfigError
from kpisync.validation.report import STAGES, Finding, StageResult, ValidationReport

if TYPE_CHECKING:  # the config package is imported when validating, not for `--help`
    from kpisync.config.model import Config

__all__ = ["STAGES", "Finding", "StageResult", "ValidationReport", "validate_file"]


def validate_file(
    path: Path,
    *,
    online: bool = False,
    dry_run: bool = True,
    connect: Callable[[], object] | None = None,
    as_of: date | None = None,
) -> ValidationReport:
    """Validate the config at ``path`` stage by stage. ``connect`` returns the Salesforce
    client for the online stage (default: logged in from the environment, as ``kpisync
    sync`` does); a refused login is an online finding, not an exception."""
    from kpisync.config import load_config

    try:
        config = load_config(path)
    except ConfigError as exc:
        findings = tuple(Finding.of(p) for p in exc.problems)
        return ValidationReport(str(path), findings, _offline_stages(findings))
    findings = [Finding.of(w, "warning") for w in config.warnings]
    stages = list(_offline_stages(()))
    described: dict[str, dict[str, str]] = {}
    if online:
        result, described = _online(config, connect)
        findings += result[0]
        stages.append(result[1])
    else:
        stages.append(StageResult("online", "skipped", "not asked for (--online)"))
    if not dry_run:
        stages.append(StageResult("dry_run", "skipped", "not asked for (--no-dry-run)"))
    elif any(f.level == "error" for f in findings):
        stages.append(StageResult("dry_run", "skipped", "the online stage failed"))
    else:
        from kpisync.validation.dryrun import dry_run as run_dry

        found = run_dry(config, described=described, as_of=as_of)
        findings += found
        stages.append(StageResult("dry_run", "failed" if found else "passed",
                                  f"{sum(k.source is not None for k in config.kpis)} KPI "
                                  "queries run on an empty store"))
    ordered = tuple(sorted(findings, key=lambda f: (f.line, f.column)))
    return ValidationReport(str(path), ordered, tuple(stages), _summary(config))


def _offline_stages(findings: tuple[Finding, ...]) -> tuple[StageResult, ...]:
    schema = any(f.stage == "schema" for f in findings)
    semantics = any(f.stage == "semantics" for f in findings)
    later = StageResult("online", "skipped", "the config has problems"), \
        StageResult("dry_run", "skipped", "the config has problems")
    if not findings:
        return StageResult("schema", "passed"), StageResult("semantics", "passed")
    checked = StageResult("semantics", "failed") if semantics else \
        StageResult("semantics", "skipped", "incomplete: the schema stage failed")
    return (StageResult("schema", "failed" if schema else "passed"), checked, *later)


def _online(config: Config, connect) -> tuple[tuple[list[Finding], StageResult], dict]:
    from kpisync.errors import KpisyncError
    from kpisync.validation import online

    try:
        if config.mapping is not None:
            # bring your own tables: no sync reads Salesforce, the mapped tables are the source
            result = online.check_engine_tables(config)
        else:
            client = (connect or online.client_from_env)()
            result = online.check_online(config, client)
            if config.engine is not None:
                engine = online.check_engine_tables(config)
                result = online.OnlineResult(result.findings + engine.findings,
                                             result.described, f"{result.detail}; {engine.detail}")
    except KpisyncError as exc:
        finding = Finding("error", "online", str(config.path), 1, 1, "",
                          f"cannot check against the org: {exc}")
        return ([finding], StageResult("online", "failed")), {}
    status = "failed" if result.findings else "passed"
    return (list(result.findings), StageResult("online", status, result.detail)), \
        result.described


def _summary(config: Config) -> str:
    return (f"{len(config.kpis)} KPIs, {len(config.teams)} teams, "
            f"cascade of {len(config.cascade)} steps")
