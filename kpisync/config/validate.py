"""kpis.yaml text → ``Config``, or ``ConfigError`` listing every problem in file order.

The steps follow the first two stages of ``kpisync validate`` (``kpisync.validation``):
compose the YAML into located nodes; read every section (the *schema* stage: each key's shape
and type; the readers also check Salesforce fields and units as they read them, which
``@semantic`` marks as *semantics*); then check what needs the whole file (the *semantics*
stage, ``_check_semantics``: unique ids, references, the cascade's goal, formula cycles); only
then, if nothing was found, assemble the frozen ``Config``. Every problem of both stages is
collected before failing, so an admin sees them all at once.
"""

from __future__ import annotations

import re
import zoneinfo
from functools import cache
from pathlib import Path

from yaml.nodes import MappingNode, Node

from kpisync.config import plugin_options, readers, targets
from kpisync.config import yamlnodes as yn
from kpisync.config.cascade import ParsedCascade, check_goal, parse_cascade
from kpisync.config.cohorts import cohort_fields
from kpisync.config.engine import parse_engine
from kpisync.config.formulas import formula_cycles
from kpisync.config.kpis import ParsedKpi, declared_measure, parse_kpi
from kpisync.config.mapping import parse_mapping
from kpisync.config.model import (
    PERIOD_KINDS,
    Config,
    Org,
    Pacing,
    Publishing,
    Scoring,
    SiteOptions,
    Team,
    target_unused,
)
from kpisync.config.objects import parse_objects
from kpisync.config.periods import ORG_CALENDAR_KEYS, custom_periods, org_calendar
from kpisync.config.problems import Problems, did_you_mean, semantic
from kpisync.config.readers import Key
from kpisync.config.refs import Defined, resolve
from kpisync.config.required import add_fields, label_fields, required_fields
from kpisync.config.scoring import parse_scoring
from kpisync.config.site import parse_site
from kpisync.config.stages import STAGE_FIELDS, parse_stages
from kpisync.config.teams import ParsedTeam, check_dated_members, parse_team
from kpisync.registry import registry
from kpisync.sobjects import declare, isolated

CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_WINDOW = 24

TOP_KEYS = (
    Key("org", True, "name and timezone of the company"),
    Key("objects"),
    Key("teams", True, "the teams to score, each with its members and KPIs"),
    Key("kpis", True, "the KPI definitions"),
    Key("cascade"),
    Key("periods"),
    Key("ramp"),
    Key("pacing"),
    Key("stages"),
    Key("scoring"),
    Key("site"),
    Key("engine"),
    Key("mapping"),
    Key("plugins"),
    Key("outputs"),
    Key("store_sources"),
)
ORG_KEYS = (
    Key("name", True, "the company name shown on the site"),
    Key("timezone", True, "an IANA timezone such as America/New_York"),
    Key("fiscal_year_start_month"),
    Key("currency"),
    Key("default_period"),
    Key("window"),
    *ORG_CALENDAR_KEYS,
)


@isolated
def validate(text: str, file: str) -> Config:
    """The Config ``text`` describes; raises ConfigError with every problem found."""
    problems = Problems(file)
    root = yn.compose(text, problems)
    if problems:
        raise problems.error()
    if root is None:
        problems.at(1, 1, "", "the file is empty; it needs org, teams and kpis "
                              "(see docs/config.md)")
        raise problems.error()
    top = readers.mapping(root, "", problems, TOP_KEYS)
    if top is None:
        raise problems.error()
    org = _org(top["org"].value, problems) if "org" in top else None
    extensions = registry()
    objects = parse_objects(top["objects"].value, problems) if "objects" in top else {}
    store_sources = plugin_options.parse_store_sources(top["store_sources"].value, problems,
                                                       extensions) \
        if "store_sources" in top else tuple(extensions.store_sources)
    # for this call only (see ``isolated``), before the KPIs that read them
    declare(objects, hidden=plugin_options.switched_off_tables(extensions, store_sources))
    kpis = _list(top, "kpis", problems, parse_kpi)
    teams = _list(top, "teams", problems, parse_team)
    refs = [ref for parsed in (*kpis, *teams) for ref in parsed.refs]
    known = {p.kpi.id: p.kpi for p in kpis if p.id_node is not None}
    cascade = parse_cascade(top["cascade"].value, problems, refs, known) if "cascade" in top \
        else ParsedCascade()
    cohorts = cascade.cohorts
    scoring = parse_scoring(top["scoring"].value, problems) if "scoring" in top else Scoring()
    site, publishing = (parse_site(top["site"].value, problems) if "site" in top
                        else (SiteOptions(), Publishing()))
    stages = parse_stages(top["stages"].value, problems) if "stages" in top else ()
    engine = parse_engine(top["engine"].value, problems) if "engine" in top else None
    mapping = parse_mapping(top["mapping"].key_node, top["mapping"].value, problems,
                            engine=engine, engine_written="engine" in top) \
        if "mapping" in top else None
    custom = custom_periods(top["periods"].value, problems) if "periods" in top else ()
    ramp = targets.ramp(top["ramp"].value, problems) if "ramp" in top else None
    pacing = targets.pacing(top["pacing"].value, problems) if "pacing" in top else None
    plugins = plugin_options.parse_plugins(top["plugins"].value if "plugins" in top else None,
                                           root, problems, extensions)
    outputs = plugin_options.parse_outputs(top["outputs"].value, problems, extensions) \
        if "outputs" in top else plugin_options.default_outputs(extensions)
    _check_semantics(kpis, teams, refs, cascade, problems)
    if problems or org is None or scoring is None or site is None or publishing is None:
        raise problems.error()
    kpi_models = tuple(p.kpi for p in kpis)
    team_models = tuple(p.team for p in teams)
    _unused_targets(kpis, team_models, problems)
    required = add_fields(required_fields(kpi_models, team_models),
                          cohort_fields(cohorts, known), STAGE_FIELDS if stages else {},
                          label_fields(kpi_models, site))
    return Config(
        path=Path(file), org=org, teams=team_models, kpis=kpi_models, cascade=cascade.steps,
        cascade_options=cascade.options, scoring=scoring, custom_periods=custom,
        cohorts=cohorts, stages=stages, required_fields=required,
        ramp=ramp, pacing=pacing or Pacing(), warnings=problems.warnings(), site=site,
        publishing=publishing, engine=engine, outputs=outputs, plugin_options=plugins,
        objects=objects, store_sources=store_sources, mapping=mapping,
    )


def _check_semantics(kpis: list[ParsedKpi], teams: list[ParsedTeam], refs: list,
                     cascade: ParsedCascade, problems: Problems) -> None:
    """The checks that need every section read: each records *semantics* problems."""
    _unique_ids("KPI", kpis, problems)
    _unique_ids("team", teams, problems)
    check_dated_members(teams, problems)
    resolve(refs, _defined(kpis, teams), problems)
    check_goal(cascade, {p.kpi.id: p.kpi for p in kpis}, problems)
    formula_cycles({p.kpi.id: (p.kpi.measure.formula, p.formula_node,
                               f"{p.path}.measure.formula")
                    for p in kpis if p.kpi.measure.formula and p.formula_node}, problems)


def _list(top: dict[str, yn.Pair], key: str, problems: Problems, parse) -> list:
    if key not in top:
        return []
    node = top[key].value
    items = readers.sequence(node, key, problems, example=f"a '- id: ...' entry per {key[:-1]}")
    if items is None:
        return []
    if not items:
        problems.add(node, key, f"expected at least one {key[:-1].replace('kpi', 'KPI')}")
    paths = yn.entry_paths(key, items, readers.IDENTIFIER.match)
    parsed = (parse(item, path, problems) for item, path in zip(items, paths, strict=True))
    return [p for p in parsed if p is not None]


def _org(node: Node, problems: Problems) -> Org | None:
    entries = readers.mapping(node, "org", problems, ORG_KEYS)
    if entries is None:
        return None
    values = {}
    if "name" in entries:
        values["name"] = readers.text(entries["name"].value, "org.name", problems)
    if "timezone" in entries:
        values["timezone"] = _timezone(entries["timezone"].value, problems)
    if "fiscal_year_start_month" in entries:
        values["fiscal_year_start_month"] = readers.integer(
            entries["fiscal_year_start_month"].value, "org.fiscal_year_start_month", problems,
            1, 12)
    if "currency" in entries:
        values["currency"] = _currency(entries["currency"].value, problems)
    if "default_period" in entries:
        values["default_period"] = readers.choice(entries["default_period"].value,
                                                  "org.default_period", problems, PERIOD_KINDS)
    if "window" in entries:
        values["window"] = readers.integer(entries["window"].value, "org.window", problems,
                                           1, MAX_WINDOW)
    values.update(org_calendar(entries, problems))
    if any(v is None for v in values.values()) or "name" not in values \
            or "timezone" not in values:
        return None
    return Org(**values)


def _timezone(node: Node, problems: Problems) -> str | None:
    name = readers.text(node, "org.timezone", problems, what="an IANA timezone")
    if name is None:
        return None
    if name in _timezones():
        return name
    close = did_you_mean(name, sorted(_timezones()))
    advice = f" — did you mean '{close}'?" if close else " such as America/New_York or UTC"
    problems.add(node, "org.timezone", f"'{name}' is not an IANA timezone{advice}")
    return None


@cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _currency(node: Node, problems: Problems) -> str | None:
    code = readers.text(node, "org.currency", problems, what="a currency code")
    if code is None or CURRENCY.match(code):
        return code
    advice = f" — did you mean '{code.upper()}'?" if CURRENCY.match(code.upper()) else ""
    problems.add(node, "org.currency", f"expected a 3-letter ISO 4217 currency code in capitals "
                                       f"such as USD or EUR, got '{code}'{advice}")
    return None


@semantic
def _unique_ids(what: str, parsed: list[ParsedKpi] | list[ParsedTeam], problems: Problems
                ) -> None:
    first: dict[str, Node] = {}
    for item in parsed:
        model = item.kpi if isinstance(item, ParsedKpi) else item.team
        if item.id_node is None:
            continue
        if model.id in first:
            problems.add(item.id_node, f"{item.path}.id",
                         f"duplicate {what} id '{model.id}' (first defined at line "
                         f"{yn.line_of(first[model.id])})")
        else:
            first[model.id] = item.id_node


@semantic
def _unused_targets(kpis: list[ParsedKpi], teams: tuple[Team, ...], problems: Problems
                    ) -> None:
    """Warn about a count's or sum's target that no team lists the KPI for: valid, but the
    overview would say "No target" with nothing in the file saying why."""
    for parsed in kpis:
        if target_unused(parsed.kpi, teams):
            key = next(k for k, _ in parsed.node.value if getattr(k, "value", None) == "target")
            problems.warn(key, f"{parsed.path}.target",
                          "no team lists this KPI in teams[].kpis, so the target is never "
                          "used; add it to a team's kpis or remove the target")
        else:
            _unused_team_totals(parsed, teams, problems)


def _unused_team_totals(parsed: ParsedKpi, teams: tuple[Team, ...], problems: Problems
                        ) -> None:
    """Warn about a ``team_totals`` entry for a team that does not score the KPI: the total
    would silently never show (a team's target only exists for the KPIs it lists)."""
    target = parsed.kpi.target
    if target is None or not target.team_totals:
        return
    scoring = {team.id for team in teams if parsed.kpi.id in team.kpis}
    known = {team.id for team in teams}
    totals = _child(_child(parsed.node, "target"), "team_totals")
    for key, _ in getattr(totals, "value", ()):
        if key.value in known and key.value not in scoring:
            problems.warn(key, f"{parsed.path}.target.team_totals.{key.value}",
                          f"team '{key.value}' does not list this KPI in its kpis, so this "
                          "total is never used; add the KPI to the team's kpis or remove "
                          "the entry")


def _child(node, name: str):
    """The value node of ``name`` in a YAML mapping node; None when there is none."""
    return next((value for key, value in getattr(node, "value", ())
                 if getattr(key, "value", None) == name), None) if node is not None else None


def _defined(kpis: list[ParsedKpi], teams: list[ParsedTeam]) -> Defined:
    return Defined(
        kpis=frozenset(p.kpi.id for p in kpis if p.id_node is not None),
        ratio_kpis=frozenset(p.kpi.id for p in kpis if _declares_ratio(p)),
        teams=frozenset(p.team.id for p in teams if p.id_node is not None),
        segments=frozenset(p.team.segment for p in teams if p.team.segment),
        regions=frozenset(p.team.region for p in teams if p.team.region),
        formula_kpis=frozenset(p.kpi.id for p in kpis if _declares(p, "formula")),
    )


def _declares_ratio(parsed: ParsedKpi) -> bool:
    return _declares(parsed, "ratio")


def _declares(parsed: ParsedKpi, kind: str) -> bool:
    """A ratio (or formula) even if its parts are broken: its measure mapping says so."""
    if parsed.kpi.measure.kind == kind:
        return True
    if not isinstance(parsed.node, MappingNode):
        return False
    measure = next((v for k, v in parsed.node.value if getattr(k, "value", None) == "measure"),
                   None)
    return measure is not None and declared_measure(measure) == kind
