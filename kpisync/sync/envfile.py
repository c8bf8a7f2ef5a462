"""Read a dotenv-style file of credentials (``--env-file``), so secrets stay out of kpis.yaml.

The format is the common subset: ``KEY=value`` lines, optional ``export`` prefix, ``#``
comments, values optionally in single or double quotes. Values from the file win over the
process environment, which is what someone passing the file explicitly means.
"""

from __future__ import annotations

import re
from pathlib import Path

from kpisync.errors import AuthenticationError

_LINE = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$")


def read_env_file(path: Path) -> dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AuthenticationError(f"cannot read the env file {path}: {exc}") from exc
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            # Never echo the line: it may hold a secret.
            raise AuthenticationError(
                f"{path}:{number}: expected KEY=value (an optional 'export ' prefix is allowed)"
            )
        key, value = match.groups()
        values[key] = _unquote(value.strip())
    return values


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return re.sub(r"\s+#.*$", "", value)
