"""What base.html wraps around every page besides the page's own view: the Content-Security-
Policy, the scripts, the canonical link and the stale-data banner.

These are decided by the build (which scripts exist, when the data was synced, where the site
is hosted), not by the scorecard, so they live apart from ``views``. Templates receive them as
``shell``; ``page`` stays the page's content.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from markupsafe import Markup

from kpisync.config.model import Config
from kpisync.site import formatting as fmt
from kpisync.site.viewdata import NOT_FOUND_PAGE, relative_to
from kpisync.store.state import SyncState

#: every directive but script-src, which depends on the page; nothing is loaded from anywhere
#: but the site itself (no CDN, no font service), and no inline style attribute is honoured
BASE_POLICY = (
    "default-src 'none'",
    "style-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'self'",
)
#: an inline <script> without a src attribute; group 1 is its exact text
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script>", re.S | re.I)


@dataclass(frozen=True)
class Freshness:
    """When the data was last synced, from the store's sync state."""

    #: when the stalest object's last finished read ended; None: no read has finished
    synced_at: datetime | None
    #: objects whose last read did not run to its end (killed, failed, stopped at a quota)
    unfinished: tuple[str, ...] = ()


@dataclass(frozen=True)
class Shell:
    #: Markup: written into the attribute as is (it holds no " < or &), so that the build can
    #: find it again to add inline scripts' hashes
    csp: Markup
    #: the site's scripts, relative to the page, loaded with ``defer``
    scripts: tuple[str, ...]
    #: the page's absolute address under ``site.base_url``; "" without one
    canonical: str
    #: "17 Jun 2026, 09:30 EDT"; "" when the build was not given the sync state
    synced: str
    #: the banner's sentence when the data is stale; "" when it is fresh (or freshness unknown)
    stale: str


def freshness(states: Iterable[SyncState]) -> Freshness:
    """The data is as fresh as its stalest object: the earliest end of a finished read."""
    states = list(states)
    finished = [s.updated_at for s in states if s.complete and s.updated_at is not None]
    unfinished = tuple(s.sobject for s in states if not s.complete)
    return Freshness(min(finished) if finished else None, unfinished)


def policy(inline_scripts: Iterable[str] = (), *, script_files: bool = False) -> str:
    """The CSP for one page: scripts only from the site's own files and from inline scripts
    whose exact text hashes to one listed here."""
    sources = ["'self'"] if script_files else []
    sources += sorted({f"'sha256-{script_hash(text)}'" for text in inline_scripts})
    scripts = " ".join(sources) or "'none'"
    return "; ".join((*BASE_POLICY, f"script-src {scripts}"))


#: what a template rendered on its own (not by the build) gets: the policy, and nothing else
PLAIN_SHELL = Shell(csp=Markup(policy()), scripts=(), canonical="", synced="", stale="")


def script_hash(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def allow_inline_scripts(html: str, csp: str, *, script_files: bool) -> str:
    """``html`` with its CSP listing the hash of each inline script it holds, so a template
    may inline a script; one changed by anyone after the build is refused by the browser."""
    scripts = _INLINE_SCRIPT.findall(html)
    if not scripts:
        return html
    hashed = policy(scripts, script_files=script_files)
    return html.replace(f'content="{csp}"', f'content="{hashed}"', 1)


class ShellMaker:
    """Builds each page's Shell from the build-wide facts."""

    def __init__(self, config: Config, scripts: tuple[str, ...], generated_at: datetime,
                 fresh: Freshness | None):
        self.scripts = scripts
        self.base_url = config.publishing.base_url
        self.csp = Markup(policy(script_files=bool(scripts)))
        self.synced = ""
        self.stale = ""
        if fresh is not None:
            zone = _zone(config.org.timezone)
            self.synced = (fmt.display_datetime(fresh.synced_at.astimezone(zone))
                           if fresh.synced_at else "")
            self.stale = stale_sentence(fresh, generated_at, config.publishing.stale_after,
                                        self.synced)

    def shell(self, path: str) -> Shell:
        rel = self.absolute if path == NOT_FOUND_PAGE and self.base_url else relative_to(path)
        return Shell(
            csp=self.csp,
            scripts=tuple(rel(s) for s in self.scripts),
            canonical=absolute_url(self.base_url, path) if self.base_url else "",
            synced=self.synced,
            stale=self.stale,
        )

    def absolute(self, path: str) -> str:
        """Links of the 404 page, which a host serves at any depth: absolute under base_url."""
        assert self.base_url is not None
        return absolute_url(self.base_url, path)


def stale_sentence(fresh: Freshness, now: datetime, stale_after: timedelta | None,
                   synced: str) -> str:
    """Why the figures may be out of date, or "" when they are not (or no age is set)."""
    if stale_after is None:
        return ""
    if fresh.synced_at is None:
        return "No sync from Salesforce has finished yet: these figures may be incomplete."
    age = now - fresh.synced_at
    parts = []
    if age > stale_after:
        parts.append(f"The last sync from Salesforce finished {synced}, {describe_age(age)} "
                     f"before this build (more than the {describe_age(stale_after)} "
                     "kpis.yaml allows): recent activity is missing.")
    if fresh.unfinished:
        parts.append(f"The last sync of {', '.join(fresh.unfinished)} did not finish: run "
                     "`kpisync sync` again.")
    return " ".join(parts)


def describe_age(age: timedelta) -> str:
    """"3 days 4 hours", "36 hours", "45 minutes": whole units, at most two of them."""
    minutes = int(age.total_seconds() // 60)
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days >= 2:
        units = [(days, "day"), (hours, "hour")]
    elif minutes >= 120:
        units = [(days * 24 + hours, "hour")]
    else:
        units = [(minutes, "minute")] if mins or not hours else [(hours, "hour")]
    return " ".join(f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in units if n)


def absolute_url(base_url: str, path: str) -> str:
    """``path`` (root-relative, as in viewdata) under ``base_url``: the address a 404 page,
    which a host serves at any depth, or a canonical link must use."""
    href = relative_to("index.html")(path)
    return base_url + ("" if href == "index.html" else href)


def _zone(name: str):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
