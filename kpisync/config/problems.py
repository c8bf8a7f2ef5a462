"""Collecting config problems: every one found, each located, each saying what would be right.

Admins edit kpis.yaml in pull requests with nobody to ask, so validation never stops at the
first problem: it records each one here and carries on, and ``ConfigError`` lists them all in
file order. A *warning* is something valid that is almost certainly not what the admin meant (a
target nothing uses): it is kept on the ``Config`` and printed by ``kpisync validate``, and never
fails validation.

Each problem also says which validation *stage* found it (``kpisync validate`` reports the
stage that failed): ``schema`` for the shape and types of the keys, ``semantics`` for what
needs the whole file or the Salesforce catalogue (references resolve, fields exist, units fit,
ids are unique). Both stages run in the one pass over the file, so that every problem is still
reported at once; a check marks itself with ``problems.checking(SEMANTICS)`` or ``@semantic``.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from yaml.nodes import Node

from kpisync.errors import ConfigError, ConfigProblem

#: the stages of the offline checks, in the order ``kpisync validate`` reports them
SCHEMA, SEMANTICS = "schema", "semantics"


@dataclass(frozen=True)
class ConfigWarning(ConfigProblem):
    """A located warning, as a problem is located: ``file:line:column: warning: path: message``.
    """

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: warning: {self.path}: {self.message}"


class Problems:
    """The problems (and warnings) found so far in one file."""

    def __init__(self, file: str):
        self.file = file
        self._found: list[ConfigProblem] = []
        self._warnings: list[ConfigWarning] = []
        #: the stage the problems added now belong to
        self.stage = SCHEMA

    def add(self, node: Node, path: str, message: str) -> None:
        """A problem with ``node`` (a key or a value), at the place it starts."""
        self.at(node.start_mark.line + 1, node.start_mark.column + 1, path, message)

    def at(self, line: int, column: int, path: str, message: str) -> None:
        problem = ConfigProblem(self.file, line, column, path, message, self.stage)
        if problem not in self._found:  # an aliased node would report the same thing twice
            self._found.append(problem)

    def warn(self, node: Node, path: str, message: str) -> None:
        """A warning about ``node``: reported, but the file stays valid."""
        self._warnings.append(ConfigWarning(self.file, node.start_mark.line + 1,
                                            node.start_mark.column + 1, path, message,
                                            self.stage))

    @contextlib.contextmanager
    def checking(self, stage: str) -> Iterator[None]:
        """Problems added inside the block belong to ``stage``."""
        outer, self.stage = self.stage, stage
        try:
            yield
        finally:
            self.stage = outer

    def warnings(self) -> tuple[ConfigWarning, ...]:
        return tuple(sorted(self._warnings, key=lambda w: (w.line, w.column)))

    def __bool__(self) -> bool:
        return bool(self._found)

    def __len__(self) -> int:
        return len(self._found)

    def error(self) -> ConfigError:
        ordered = sorted(self._found, key=lambda p: (p.line, p.column))
        return ConfigError(ordered)


def semantic(check: Callable) -> Callable:
    """Mark a check as semantic: the problems it records in its ``Problems`` argument are
    about meaning (a field Salesforce's object does not have, a unit that does not fit its
    measure), not about the file's shape."""

    @functools.wraps(check)
    def wrapper(*args, **kwargs):
        problems = next(a for a in (*args, *kwargs.values()) if isinstance(a, Problems))
        with problems.checking(SEMANTICS):
            return check(*args, **kwargs)

    return wrapper


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The closest of ``choices`` to a misspelt ``word``, if any is close enough."""
    options = list(dict.fromkeys(choices))
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return close[0]
    folded = {o.casefold(): o for o in options}
    return folded.get(word.casefold())


def one_of(choices: Iterable[str]) -> str:
    return ", ".join(choices)


def suggestion(word: str, choices: Iterable[str]) -> str:
    """" — did you mean 'x'?" or " — expected one of: a, b, c", to end a message with."""
    choices = list(choices)
    close = did_you_mean(word, choices)
    if close is not None:
        return f" — did you mean '{close}'?"
    return f" — expected one of: {one_of(choices)}" if choices else ""
