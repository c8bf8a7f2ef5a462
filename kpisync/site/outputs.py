"""Run the outputs kpis.yaml enables (``outputs:``) inside the site's staging directory.

An output that raises is reported as a ``PluginError`` naming the output and the plugin that
registered it; the build then stops before the swap, so the published site stays as it was.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from kpisync.compute.model import Scorecard
from kpisync.config.plugin_options import default_outputs
from kpisync.errors import KpisyncError, PluginError
from kpisync.registry import CORE, OutputRun, registry


def run_outputs(scorecard: Scorecard, root: Path, generated_at: datetime) -> list[str]:
    """Write every enabled output into ``root``; returns their names, in order."""
    extensions = registry()
    settings = scorecard.config.outputs
    if settings is None:  # a Config built in Python, not read from kpis.yaml
        settings = default_outputs(extensions)
    written = []
    for setting in settings:
        output = extensions.outputs.get(setting.name)
        if output is None:
            raise PluginError(f"kpis.yaml enables the output {setting.name!r}, which no "
                              "installed plugin provides")
        owner = extensions.owner("output", output.name)
        try:
            output.write(OutputRun(scorecard, root, generated_at, dict(setting.options)))
        except Exception as exc:
            if owner == CORE and isinstance(exc, KpisyncError | OSError):
                raise
            raise PluginError(f"the output {output.name!r} of plugin {owner!r} failed: "
                              f"{type(exc).__name__}: {exc}") from exc
        written.append(output.name)
    return written
