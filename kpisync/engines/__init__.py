"""Where compute runs its SQL: the embedded DuckDB store by default, or a PostgreSQL server.

Compute builds every query as a sqlglot expression once; an engine renders it in its own
dialect (placeholders included) and runs it. See docs/engines.md.
"""

from kpisync.engines.base import Engine, QueryError, as_engine
from kpisync.engines.select import EngineSettings, open_engine

__all__ = ["Engine", "EngineSettings", "QueryError", "as_engine", "open_engine"]
