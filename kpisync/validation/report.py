"""What ``kpisync validate`` found: located findings, each from a stage, and how each stage
ended. The formats (``kpisync.validation.formats``) render this and nothing else, so text,
GitHub annotations, JSON and SARIF always say the same thing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from kpisync.errors import ConfigProblem

#: the stages in the order they run; a stage runs only when every one before it passed
#: (schema and semantics share one pass over the file, see ``kpisync.config.problems``)
STAGES: tuple[str, ...] = ("schema", "semantics", "online", "dry_run")
STAGE_TITLES = {"schema": "schema", "semantics": "semantics", "online": "online",
                "dry_run": "dry run"}

Level = Literal["error", "warning"]
Status = Literal["passed", "failed", "skipped"]

#: (rule id, what it means, a message pattern that marks it); the first match wins, so the
#: specific patterns come before the general "expected ..."
RULES: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (rule, help_text, re.compile(pattern)) for rule, help_text, pattern in (
        ("file", "The file cannot be read, or is not valid YAML.",
         r"^(no such file|is a directory|cannot read the file|not valid UTF-8|invalid YAML|"
         r"tabs are not allowed|the file is empty)"),
        ("unknown-key", "A key that this place does not take (often misspelt).",
         r"^unknown key "),
        ("missing-key", "A required key is missing.", r"^missing required key "),
        ("duplicate-key", "A key given twice in one mapping.", r"^duplicate key "),
        ("duplicate-id", "An id (or list item) given twice.",
         r"^duplicate \w+ id |is already in "),
        ("unknown-reference", "A KPI, team, segment or region that is not defined.",
         r"is not (a defined |a segment of |a region of )|is itself a |is a formula;"),
        ("unknown-field", "A Salesforce field or lookup the object does not have.",
         r"has no (field|lookup) |is not a field API name"),
        ("missing-object", "A Salesforce object the org does not have or the sync user "
                           "cannot see.", r"^Salesforce has no object "),
        ("unit-mismatch", "A unit that does not fit the measure or field.", r"^unit: "),
        ("formula-cycle", "Formulas that use each other.", r"depends on itself"),
        ("unused-target", "A target that no team uses.", r"target is never used"),
        ("sql-error", "The KPI's generated SQL fails on an empty store.",
         r"^the generated SQL "),
        ("wrong-value", "A value of the wrong type or outside what is allowed.", r"."),
    )
)
RULE_HELP = {rule: help_text for rule, help_text, _ in RULES}


@dataclass(frozen=True)
class Finding:
    """One error or warning at a place in the config file."""

    level: Level
    stage: str
    file: str
    line: int
    column: int
    #: where in the structure (``kpis[calls].target.per_rep``); "" for the whole file
    path: str
    message: str

    @property
    def rule(self) -> str:
        """The kind of problem, a stable id for CI tools (``unknown-key``, ``sql-error``)."""
        return next(rule for rule, _, pattern in RULES if pattern.search(self.message))

    @classmethod
    def of(cls, problem: ConfigProblem, level: Level = "error") -> Finding:
        return cls(level, problem.stage, problem.file, problem.line, problem.column,
                   problem.path, problem.message)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        warned = "warning: " if self.level == "warning" else ""
        return f"{where}: {warned}{self.path}: {self.message}" if self.path \
            else f"{where}: {warned}{self.message}"


@dataclass(frozen=True)
class StageResult:
    name: str
    status: Status
    #: why a stage was skipped, or what a passed one covered ("13 KPIs run")
    detail: str = ""


@dataclass(frozen=True)
class ValidationReport:
    """Every finding, in file order, and each stage's result in ``STAGES`` order."""

    file: str
    findings: tuple[Finding, ...]
    stages: tuple[StageResult, ...]
    #: "13 KPIs, 4 teams, cascade of 5 steps" for a file that reads; "" otherwise
    summary: str = ""

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level == "warning")

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def failed_stage(self) -> str | None:
        """The first stage that failed: later ones did not run."""
        return next((s.name for s in self.stages if s.status == "failed"), None)
