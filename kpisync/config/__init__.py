"""kpis.yaml → ``Config``: the one way configuration enters kpisync.

    from kpisync.config import load_config
    config = load_config("kpis.yaml")      # or raises ConfigError listing every problem

Every bad input (a missing or unreadable file, bytes that are not UTF-8, broken YAML, an empty
file, any invalid value) raises ``kpisync.errors.ConfigError`` and nothing else, with each
problem located as ``file:line:column: path: message``. See docs/config.md for the format.
"""

from __future__ import annotations

from pathlib import Path

from kpisync.config.model import Config
from kpisync.config.validate import validate
from kpisync.errors import ConfigError, ConfigProblem

__all__ = ["Config", "ConfigError", "load_config", "parse_config"]


def load_config(path: str | Path) -> Config:
    """Read and validate the config file at ``path``; ``Config.path`` is ``path``."""
    file = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise _file_error(file, "no such file; create it (see docs/config.md) or pass "
                                "-c/--config with its path") from None
    except IsADirectoryError:
        raise _file_error(file, "is a directory, not a config file") from None
    except OSError as exc:
        raise _file_error(file, f"cannot read the file: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        raise ConfigError([ConfigProblem(
            file, line, column, "",
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
        )]) from None
    return validate(text, file)


def parse_config(text: str, path: str = "kpis.yaml") -> Config:
    """Validate config ``text`` as if read from ``path`` (used in problem locations)."""
    return validate(text, path)


def _file_error(file: str, message: str) -> ConfigError:
    return ConfigError([ConfigProblem(file, 1, 1, "", message)])
