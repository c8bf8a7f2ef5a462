"""The errors kpisync raises, and who raises them.

    KpisyncError                    base: the CLI prints it as one line, exit code 1
    ├── ConfigError                 kpis.yaml is invalid (carries every problem found)
    ├── StoreError                  the local DuckDB store cannot be read or written
    ├── ComputeError                a KPI cannot be evaluated on the data at hand
    ├── SiteError                   the site cannot be rendered or written
    ├── PluginError                 a plugin failed to load, sync, measure or write (names it)
    └── SalesforceError             Salesforce answered with an error, or not at all
        ├── AuthenticationError     credentials missing or refused
        ├── QuotaReached            a quota guard forbids the next call (a clean, partial stop)
        └── TransientSalesforceError   * worth retrying: 5xx, 429, timeouts, lock contention

Only the branch marked * is retried (see ``kpisync.sync.client``); everything else fails at
once, because retrying a malformed query or a refused login cannot succeed.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class KpisyncError(Exception):
    """Base of every error kpisync raises on purpose; its message is meant for the user."""


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in a config file, located to the character."""

    file: str
    line: int
    column: int
    path: str
    message: str
    #: the validation stage that found it: "schema" (the file's shape and types) or
    #: "semantics" (references, fields, units, ...); see ``kpisync.validation``
    stage: str = field(default="schema", compare=False)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ConfigError(KpisyncError):
    """Raised by ``kpisync.config`` when kpis.yaml cannot be read or is invalid.

    ``problems`` holds every problem found, so an admin fixes them all in one pull request.
    """

    def __init__(self, problems: list[ConfigProblem]):
        self.problems = list(problems)
        count = len(self.problems)
        heading = f"{count} problem{'s' if count != 1 else ''} in the config:"
        super().__init__("\n".join([heading, *(f"  {p}" for p in self.problems)]))


class StoreError(KpisyncError):
    """Raised by ``kpisync.store`` when the DuckDB file is unusable (locked, corrupt, too new)."""


class ComputeError(KpisyncError):
    """Raised by ``kpisync.compute`` when a KPI cannot be evaluated on the synced data."""


class SiteError(KpisyncError):
    """Raised by ``kpisync.site`` when the site cannot be rendered or written."""


class PluginError(KpisyncError):
    """Raised by ``kpisync.registry`` when a plugin fails to load or register, by ``kpisync
    sync`` around a plugin's store source and by the site build around a plugin's output;
    the message names the plugin."""


class SalesforceError(KpisyncError):
    """Raised by ``kpisync.sync`` when Salesforce refuses a request or cannot be reached.

    ``error_code`` is Salesforce's own code (INVALID_FIELD, ...) when it sent one.
    """

    def __init__(
        self,
        message: str,
        *,
        error_code: str | None = None,
        status: int | None = None,
        sobject: str | None = None,
    ):
        self.error_code = error_code
        self.status = status
        self.sobject = sobject
        super().__init__(message)


class AuthenticationError(SalesforceError):
    """Raised by ``kpisync.sync.auth`` when credentials are missing, malformed or refused."""


class TransientSalesforceError(SalesforceError):
    """A failure that may succeed if tried again: HTTP 5xx or 429, a dropped connection,
    a timeout, UNABLE_TO_LOCK_ROW, SERVER_UNAVAILABLE or QUERY_TIMEOUT."""


class QuotaReached(SalesforceError):
    """Raised by ``kpisync.sync.client.SalesforceClient`` instead of making a call that its
    ``kpisync.sync.quota.QuotaGuard`` forbids; ``kpisync.sync.jobs.sync`` catches it and
    returns a partial report, since what was fetched is stored and the next run resumes."""
