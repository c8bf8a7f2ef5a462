"""Where compute runs its SQL: the embedded DuckDB store by default, a PostgreSQL server, or
Apache Spark.

Compute builds every query as a sqlglot expression once; an engine renders it in its own
dialect (placeholders included) and runs it. Which engine a run uses, and the store it reads,
is ``kpisync.store.select``'s choice. See docs/engines.md.
"""

from kpisync.config.engine import EngineSettings
from kpisync.engines.base import Engine, QueryError, as_engine

__all__ = ["Engine", "EngineSettings", "QueryError", "as_engine"]
