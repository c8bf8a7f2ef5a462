"""``site: stale_after`` and ``site: base_url``: how fresh and where the published site is.

    site:
      stale_after: 36h            # a banner on every page once the last sync is older; false: never
      base_url: /scorecards/      # the site's path (or https:// address) on its host

Both keys are optional: without them the banner appears after 36 hours and the site writes
no absolute URL. ``config/site.py`` reads the whole ``site:`` mapping, these two keys through
``PUBLISHING_KEYS`` and ``publishing_from``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlparse

from yaml.nodes import Node, ScalarNode

from kpisync.config import readers
from kpisync.config import yamlnodes as yn
from kpisync.config.model import Publishing
from kpisync.config.problems import Problems
from kpisync.config.readers import Key

PUBLISHING_KEYS = (Key("stale_after"), Key("base_url"))
_DURATION = re.compile(r"(\d+)\s*(m|h|d)")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def publishing_from(entries: dict[str, yn.Pair], problems: Problems) -> Publishing | None:
    """Publishing from the already-read entries of ``site:`` (other keys are ignored)."""
    values: dict[str, object] = {}
    ok = True
    if "stale_after" in entries:
        ok, values["stale_after"] = _stale_after(entries["stale_after"].value, problems)
    if "base_url" in entries:
        values["base_url"] = _base_url(entries["base_url"].value, problems)
        ok = ok and values["base_url"] is not None
    return Publishing(**values) if ok else None  # type: ignore[arg-type]


def _stale_after(node: Node, problems: Problems) -> tuple[bool, timedelta | None]:
    """(read, the age): ``36h``, ``90m``, ``2d``, or false to never show the banner."""
    if isinstance(node, ScalarNode) and node.tag == yn.BOOL and yn.scalar(node) is False:
        return True, None
    match = _DURATION.fullmatch(node.value.strip()) if isinstance(node, ScalarNode) else None
    if match and int(match.group(1)) > 0:
        return True, timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    problems.add(node, "site.stale_after",
                 "expected an age such as 36h, 90m or 2d (minutes, hours or days, more than "
                 f"0), or false to never show the stale-data banner; got {yn.describe(node)}")
    return False, None


def _base_url(node: Node, problems: Problems) -> str | None:
    text = readers.text(node, "site.base_url", problems)
    if text is None:
        return None
    parsed = urlparse(text.strip())
    absolute = parsed.scheme in ("http", "https") and parsed.netloc
    if not (absolute or (not parsed.scheme and not parsed.netloc and parsed.path.startswith("/"))) \
            or parsed.query or parsed.fragment:
        problems.add(node, "site.base_url",
                     "expected the path the site is served under, such as /scorecards/, or "
                     "its full address, such as https://intranet.example.com/scorecards/; "
                     f"got {text!r}")
        return None
    return text.strip().rstrip("/") + "/"
