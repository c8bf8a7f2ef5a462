"""A ``ValidationReport`` as text, GitHub Actions annotations, JSON or SARIF 2.1.0.

- ``text``: for people; the lines ``kpisync validate`` always printed.
- ``github``: workflow commands (``::error file=kpis.yaml,line=12,col=5,title=…::message``)
  that GitHub shows on the changed line of a pull request.
- ``json``: for other CI systems; the shape is documented in docs/config.md and versioned by
  its ``version`` key.
- ``sarif``: for code-scanning views; one rule per kind of problem (``Finding.rule``).
"""

from __future__ import annotations

import json
from typing import Any

from kpisync import __version__
from kpisync.validation.report import RULE_HELP, STAGE_TITLES, Finding, ValidationReport

FORMATS = ("text", "github", "json", "sarif")
#: the version of the ``--format json`` shape; a change that could break a reader bumps it
JSON_VERSION = 1
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def render(report: ValidationReport, fmt: str) -> str:
    """The report in ``fmt`` (one of ``FORMATS``), ending in a newline."""
    return {"text": text, "github": github, "json": as_json, "sarif": sarif}[fmt](report)


def text(report: ValidationReport) -> str:
    """The problems as ``ConfigError`` lists them, warnings, then the stage that failed."""
    lines = [str(w) for w in report.warnings]
    errors = report.errors
    if errors:
        count = len(errors)
        lines.append(f"Error: {count} problem{'s' if count != 1 else ''} in the config:")
        lines += [f"  {e}" for e in errors]
        lines.append(f"Validation failed at the {STAGE_TITLES[report.failed_stage or '']} "
                     f"stage ({_stages_line(report)}).")
    else:
        count = len(report.warnings)
        warned = f"; {count} warning{'s' if count != 1 else ''}" if count else ""
        lines.append(f"{report.file}: OK — {report.summary}{warned}")
    return "\n".join(lines) + "\n"


def _stages_line(report: ValidationReport) -> str:
    return ", ".join(f"{STAGE_TITLES[s.name]}: {s.status}" for s in report.stages)


def github(report: ValidationReport) -> str:
    """One workflow command per finding, then a notice with the stages' results."""
    lines = [_command(f) for f in report.findings]
    summary = (f"{report.file}: OK — {report.summary}" if report.ok
               else f"{report.file}: failed at the {STAGE_TITLES[report.failed_stage or '']} "
                    "stage")
    lines.append(f"::notice title=kpisync validate::"
                 f"{_escape_data(f'{summary} ({_stages_line(report)})')}")
    return "\n".join(lines) + "\n"


def _command(finding: Finding) -> str:
    properties = {"file": finding.file, "line": str(finding.line), "col": str(finding.column),
                  "title": f"kpisync {STAGE_TITLES[finding.stage]} ({finding.rule})"}
    props = ",".join(f"{k}={_escape_property(v)}" for k, v in properties.items())
    message = f"{finding.path}: {finding.message}" if finding.path else finding.message
    return f"::{finding.level} {props}::{_escape_data(message)}"


def _escape_data(value: str) -> str:
    """A workflow command's message: %, CR and LF are percent-encoded (GitHub's
    ``escapeData`` in @actions/core), else a newline would end the command."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    """A workflow command's property value: as a message, and also ``:`` and ``,``, which
    would end the value (``escapeProperty`` in @actions/core)."""
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def to_dict(report: ValidationReport) -> dict[str, Any]:
    """The ``--format json`` document (see docs/config.md, "Validating in CI")."""
    return {
        "version": JSON_VERSION,
        "file": report.file,
        "ok": report.ok,
        "failed_stage": report.failed_stage,
        "summary": report.summary,
        "stages": [{"name": s.name, "status": s.status, "detail": s.detail}
                   for s in report.stages],
        "findings": [{"level": f.level, "stage": f.stage, "rule": f.rule, "file": f.file,
                      "line": f.line, "column": f.column, "path": f.path,
                      "message": f.message} for f in report.findings],
    }


def as_json(report: ValidationReport) -> str:
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"


def sarif_log(report: ValidationReport) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run: kpisync as the tool, a rule per kind of finding (the
    ones that occurred, in the order of ``RULE_HELP``), a result per finding."""
    used = {f.rule for f in report.findings}
    rules = [rule for rule in RULE_HELP if rule in used]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "kpisync",
                "version": __version__,
                "rules": [{"id": rule, "name": _camel(rule),
                           "shortDescription": {"text": RULE_HELP[rule]}} for rule in rules],
            }},
            "results": [_result(f, rules.index(f.rule)) for f in report.findings],
            "properties": {"stages": [{"name": s.name, "status": s.status}
                                      for s in report.stages]},
        }],
    }


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    message = f"{finding.path}: {finding.message}" if finding.path else finding.message
    return {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": finding.level,
        "message": {"text": message},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": _uri(finding.file)},
            "region": {"startLine": finding.line, "startColumn": finding.column},
        }}],
        "properties": {"stage": finding.stage},
    }


def _uri(file: str) -> str:
    """A relative URI reference, as code scanning matches results to the repository's files."""
    return file.replace("\\", "/").replace(" ", "%20")


def _camel(rule: str) -> str:
    return "".join(part.capitalize() for part in rule.split("-"))


def sarif(report: ValidationReport) -> str:
    return json.dumps(sarif_log(report), indent=2, ensure_ascii=False) + "\n"
