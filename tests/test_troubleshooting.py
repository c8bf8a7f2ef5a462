"""docs/troubleshooting.md lists every error class kpisync has: a new subclass of KpisyncError
anywhere in the package fails this test until it has its own section there."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import kpisync
from kpisync.errors import KpisyncError

DOC = Path(__file__).resolve().parent.parent / "docs" / "troubleshooting.md"


def error_classes() -> set[str]:
    """Every KpisyncError subclass (and the base) defined in kpisync, after importing each of
    its modules, so that errors defined next to the code raising them are found too."""
    for module in pkgutil.walk_packages(kpisync.__path__, "kpisync."):
        if not module.name.endswith(".__main__"):  # that one runs the CLI
            importlib.import_module(module.name)
    found, todo = set(), [KpisyncError]
    while todo:
        cls = todo.pop()
        if cls.__module__.startswith("kpisync"):
            found.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return found


def documented_classes() -> set[str]:
    return set(re.findall(r"^## `(\w+)`$", DOC.read_text(encoding="utf-8"), flags=re.M))


def test_walk_finds_errors_defined_outside_errors_py():
    assert {"KpisyncError", "ConfigError", "QueryError", "RetryLater"} <= error_classes()


def test_every_error_class_has_a_section():
    assert sorted(error_classes() - documented_classes()) == []


def test_every_section_is_an_error_class():
    assert sorted(documented_classes() - error_classes()) == []
