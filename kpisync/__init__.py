"""kpisync: Salesforce activity in, a sales-KPI scorecard website out.

The data flows one way: kpis.yaml → ``config`` → ``sync`` → ``store`` → ``compute`` → ``site``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kpisync")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
