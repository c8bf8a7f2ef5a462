"""docs/salesforce-setup.md lists the objects and fields the sync reads for the sample
kpis.yaml, which the integration user needs read access to: the list must be the sync plan's."""

from __future__ import annotations

import re
from pathlib import Path

from kpisync.config import load_config
from kpisync.config.required import plan_objects

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "salesforce-setup.md"


def documented_plan() -> list[tuple[str, tuple[str, ...]]]:
    text = DOC.read_text(encoding="utf-8")
    table = text.split("<!-- sync-plan:start -->")[1].split("<!-- sync-plan:end -->")[0]
    rows = [line.split("|")[1:3] for line in table.strip().splitlines()[2:]]
    return [(name.strip(), tuple(re.findall(r"`(\w+)`", fields))) for name, fields in rows]


def test_the_permissions_table_is_the_sync_plan_of_the_sample_config():
    plan = plan_objects(load_config(ROOT / "kpis.yaml"))
    assert documented_plan() == [(p.sobject, p.fields) for p in plan]
