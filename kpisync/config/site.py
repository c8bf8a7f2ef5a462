"""``site:``: what the published scorecard site shows, for hosts that are not private.

    site:
      leaderboards: true          # per-KPI leaderboards on standardized attainment
      drill_through: true         # a rep's figures link to the records behind them
      rep_pages: true             # false: team-level pages only, no rep is named anywhere
      rep_names: full             # initials: "Dana Whitfield" is shown as "D. W."
      salesforce_url: https://acme.my.salesforce.com   # drill-through records link here
      record_labels: false        # true: sync and show each record's Subject or Name
      stale_after: 36h            # the stale-data banner (config/publishing.py)
      base_url: /scorecards/      # where the site is hosted (config/publishing.py)

Every key is optional; without ``site`` everything is shown and records are not linked.
"""

from __future__ import annotations

from urllib.parse import urlparse

from yaml.nodes import Node

from kpisync.config import readers
from kpisync.config import yamlnodes as yn
from kpisync.config.model import REP_NAME_STYLES, Publishing, SiteOptions
from kpisync.config.problems import Problems
from kpisync.config.publishing import PUBLISHING_KEYS, publishing_from
from kpisync.config.readers import Key

SITE_KEYS = (Key("leaderboards"), Key("drill_through"), Key("rep_pages"), Key("rep_names"),
             Key("salesforce_url"), Key("record_labels"), *PUBLISHING_KEYS)
_SWITCHES = ("leaderboards", "drill_through", "rep_pages", "record_labels")


def parse_site(node: Node, problems: Problems
               ) -> tuple[SiteOptions | None, Publishing | None]:
    """What the site shows, and where and how fresh it is published; each None after
    recording its problems."""
    entries = readers.mapping(node, "site", problems, SITE_KEYS)
    if entries is None:
        return None, None
    return _options(entries, problems), publishing_from(entries, problems)


def _options(entries: dict[str, yn.Pair], problems: Problems) -> SiteOptions | None:
    values: dict[str, object] = {}
    for key in _SWITCHES:
        if key in entries:
            values[key] = readers.boolean(entries[key].value, f"site.{key}", problems)
    if "rep_names" in entries:
        values["rep_names"] = readers.choice(entries["rep_names"].value, "site.rep_names",
                                             problems, REP_NAME_STYLES)
    if "salesforce_url" in entries:
        values["salesforce_url"] = _url(entries["salesforce_url"].value, problems)
    if any(v is None for v in values.values()):
        return None
    return SiteOptions(**values)  # type: ignore[arg-type]


def _url(node: Node, problems: Problems) -> str | None:
    text = readers.text(node, "site.salesforce_url", problems)
    if text is None:
        return None
    parsed = urlparse(text)
    if parsed.scheme != "https" or not parsed.netloc:
        problems.add(node, "site.salesforce_url", f"expected the https:// address of your "
                     f"Salesforce org, such as https://acme.my.salesforce.com; got {text!r}")
        return None
    return text.rstrip("/")
