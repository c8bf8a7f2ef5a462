"""Helpers for the sync tests: a fake org served through `responses`, shaped like
/work/shared/data (JSON error arrays, query pages with nextRecordsUrl, describe fields)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import responses
from responses import matchers

from kpisync.sync.auth import Credentials
from kpisync.sync.client import RetryPolicy, SalesforceClient

INSTANCE = "https://example.my.salesforce.com"
API = f"{INSTANCE}/services/data/v60.0"
TOKEN = "00Dxx0000001gPL!AQ4AQFakeSecretToken"
SAMPLES = Path("/work/shared/data")


def no_sleep_policy(max_attempts: int = 5, slept: list[float] | None = None) -> RetryPolicy:
    target = [] if slept is None else slept
    return RetryPolicy(max_attempts=max_attempts, sleep=target.append)


def make_client(**kwargs: Any) -> SalesforceClient:
    kwargs.setdefault("retry", no_sleep_policy())
    return SalesforceClient(Credentials(INSTANCE, TOKEN), **kwargs)


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def record(sobject: str, **fields: Any) -> dict[str, Any]:
    return {"attributes": {"type": sobject, "url": f"/services/data/v60.0/sobjects/{sobject}/"
                           f"{fields['Id']}"}, **fields}


def describe_body(sobject: str, fields: dict[str, str]) -> dict[str, Any]:
    return {"name": sobject, "fields": [
        {"name": n, "type": t, "calculated": False, "custom": n.endswith("__c")}
        for n, t in fields.items()
    ]}


def add_describe(rsps: responses.RequestsMock, sobject: str, fields: dict[str, str]) -> None:
    rsps.get(f"{API}/sobjects/{sobject}/describe", json=describe_body(sobject, fields))


def add_query(rsps: responses.RequestsMock, soql: str, records: list[dict[str, Any]], *,
              all_rows: bool = True, next_url: str | None = None, total: int | None = None,
              status: int = 200, **kwargs: Any) -> None:
    body: dict[str, Any] = {"totalSize": len(records) if total is None else total,
                            "done": next_url is None, "records": records}
    if next_url:
        body["nextRecordsUrl"] = next_url
    rsps.get(f"{API}/{'queryAll' if all_rows else 'query'}/", json=body, status=status,
             match=[matchers.query_param_matcher({"q": soql})], **kwargs)


def add_more(rsps: responses.RequestsMock, next_url: str, records: list[dict[str, Any]], *,
             total: int, following: str | None = None) -> None:
    body: dict[str, Any] = {"totalSize": total, "done": following is None, "records": records}
    if following:
        body["nextRecordsUrl"] = following
    rsps.get(f"{INSTANCE}{next_url}", json=body)
