"""``site: stale_after`` and ``site: base_url`` in kpis.yaml."""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_config import BASE, problems

from kpisync.config import parse_config
from kpisync.config.model import Publishing


def site(*lines: str) -> str:
    return BASE + "site:\n" + "".join(f"  {line}\n" for line in lines)


def test_without_site_the_banner_shows_after_36_hours_and_no_base_url():
    assert parse_config(BASE).publishing == Publishing(timedelta(hours=36), None)


@pytest.mark.parametrize(("text", "age"), [
    ("90m", timedelta(minutes=90)),
    ("36h", timedelta(hours=36)),
    ("2d", timedelta(days=2)),
    ("false", None),
])
def test_stale_after(text, age):
    assert parse_config(site(f"stale_after: {text}")).publishing.stale_after == age


@pytest.mark.parametrize(("text", "url"), [
    ("/scorecards", "/scorecards/"),
    ("/scorecards/", "/scorecards/"),
    ("/", "/"),
    ("https://intranet.example.com/sales/sc", "https://intranet.example.com/sales/sc/"),
])
def test_base_url_always_ends_in_a_slash(text, url):
    assert parse_config(site(f"base_url: {text}")).publishing.base_url == url


@pytest.mark.parametrize(("line", "expected"), [
    ("stale_after: 3 weeks", "kpis.yaml:18:16: site.stale_after: expected an age such as 36h, "
     "90m or 2d (minutes, hours or days, more than 0), or false to never show the stale-data "
     "banner; got '3 weeks'"),
    ("stale_after: 0h", "kpis.yaml:18:16: site.stale_after: expected an age such as 36h, 90m "
     "or 2d (minutes, hours or days, more than 0), or false to never show the stale-data "
     "banner; got '0h'"),
    ("base_url: scorecards/", "kpis.yaml:18:13: site.base_url: expected the path the site is "
     "served under, such as /scorecards/, or its full address, such as "
     "https://intranet.example.com/scorecards/; got 'scorecards/'"),
    ("base_url: ftp://host/x/", "kpis.yaml:18:13: site.base_url: expected the path the site "
     "is served under, such as /scorecards/, or its full address, such as "
     "https://intranet.example.com/scorecards/; got 'ftp://host/x/'"),
    ("stale: 36h", "kpis.yaml:18:3: site: unknown key 'stale' — did you mean 'stale_after'?"),
])
def test_site_problem(line, expected):
    assert problems(site(line)) == [expected]
