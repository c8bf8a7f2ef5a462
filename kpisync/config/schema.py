"""The JSON Schema (draft 2020-12) of kpis.yaml, built from the keys the parsers read.

Editors use it for completion and inline errors (the yaml-language-server comment in the
README), CI systems to check a file without kpisync, and ``kpisync schema --format markdown``
to write docs/config-reference.md. It cannot drift from the parser: every mapping's keys, and
which are required, are the parser's own ``Key`` tuples (``TOP_KEYS``, ``KPI_KEYS``, ...);
every choice is the model's own tuple (``TIERS``, ``UNITS``, ``PERIOD_KINDS``, ...); defaults
come from the model's dataclasses; and ``mapping`` (``schema_blocks``) refuses a ``Key`` tuple
whose keys it has no description for, so a key added to a parser without one here fails
``kpisync schema`` and the tests. Installed plugins add their options
(``plugin_options.plugin_schemas``).

The schema checks shape and types. What needs the whole file or Salesforce (a KPI id that is
defined, a field an object has, a unit that fits its measure) stays with ``kpisync validate``.
"""

from __future__ import annotations

import json
from typing import Any

from kpisync.config import (
    cascade,
    cohorts,
    kpis,
    members,
    objects,
    periods,
    scoring,
    site,
    targets,
    teams,
)
from kpisync.config.engine import ENGINE_KEYS
from kpisync.config.model import (
    COMPARISONS,
    DAY_NAMES,
    DEFAULT_TIER_WEIGHTS,
    FILTER_OPS,
    PERIOD_KINDS,
    REP_NAME_STYLES,
    TIERS,
    UNITS,
    CascadeOptions,
    Org,
    Pacing,
    SiteOptions,
)
from kpisync.config.plugin_options import plugin_schemas
from kpisync.config.readers import Key
from kpisync.config.schema_blocks import (
    BOOLEAN,
    DATE,
    FIELD,
    ID,
    NUMBER,
    SCALAR,
    TEXT,
    Doc,
    array,
    default,
    enum,
    integer,
    mapping,
    one_key,
    table,
)
from kpisync.registry import Registry

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _org() -> dict[str, Any]:
    from kpisync.config.validate import MAX_WINDOW, ORG_KEYS

    window = {"oneOf": [enum(periods.WINDOW_WORDS),
                        one_key("previous", integer(1, MAX_WINDOW - 1), "The periods of "
                                "default_period before the current one.", "3"),
                        one_key("trailing_days", integer(1, periods.MAX_TRAILING_DAYS),
                                "The days up to and including today.", "90")]}
    view = {"oneOf": [enum(PERIOD_KINDS), {
        "type": "object", "minProperties": 1, "maxProperties": 1,
        "propertyNames": enum(PERIOD_KINDS), "additionalProperties": integer(1, MAX_WINDOW)}]}
    return mapping(ORG_KEYS, {
        "name": Doc(TEXT, "The company name shown on the site.", example="Northwind Traders"),
        "timezone": Doc(TEXT, "An IANA timezone: a datetime counts for the period of its local "
                              "date here.", example="America/New_York"),
        "fiscal_year_start_month": Doc(integer(1, 12), "The month the fiscal year starts; it "
                                       "is named after the calendar year it ends in.",
                                       default(Org, "fiscal_year_start_month"), "2"),
        "currency": Doc({"type": "string", "pattern": "^[A-Z]{3}$"}, "ISO 4217 code used to "
                        "format currency KPIs.", default(Org, "currency"), "EUR"),
        "default_period": Doc(enum(PERIOD_KINDS), "The period targets are stated per and the "
                              "site leads with.", default(Org, "default_period"), "quarter"),
        "window": Doc(integer(1, MAX_WINDOW), "How many periods of default_period the site "
                      "shows, the current one included.", default(Org, "window"), "6"),
        "week_start": Doc(enum(DAY_NAMES), "The day weeks start on.", "monday", "sunday"),
        "workdays": Doc(array(enum(DAY_NAMES), minItems=1, uniqueItems=True),
                        "The days people work; business-day pacing counts only these.",
                        list(DAY_NAMES[:5]), "[monday, tuesday, wednesday, thursday]"),
        "holidays": Doc(array(DATE, uniqueItems=True), "Days off that are not weekends.",
                        example="[2026-12-25, 2027-01-01]"),
        "windows": Doc(array(window, minItems=1), "What the scorecard covers, instead of "
                       "window; must include current.",
                       example="[current, {previous: 3}, year_to_date, {trailing_days: 90}]"),
        "views": Doc(array(view), "Periods of other kinds shown beside the default window.",
                     example="[quarter, {fiscal_year: 3}]"),
        "comparisons": Doc(array(enum(COMPARISONS), uniqueItems=True), "The comparison "
                           "periods computed behind each shown period; [] for none.",
                           default(Org, "comparisons"), "[previous]"),
    }, "Who the scorecard is for and how its calendar works.")


def _people(spec: members.PersonList, pattern: str | None) -> dict[str, Any]:
    plain = {"type": "string", "minLength": 1} | ({"pattern": pattern} if pattern else {})
    dated = mapping(members.dated_keys(spec), {
        spec.entry_key: Doc(plain),
        "from": Doc(DATE, "The first day on the team (included)."),
        "until": Doc(DATE, "The last day on the team (included)."),
    })
    return array({"oneOf": [plain, dated]})


def _team() -> dict[str, Any]:
    member_rules = mapping(teams.MEMBER_KEYS, {
        "roles": Doc(array(TEXT), "UserRole names.", example="[SDR East, SDR West]"),
        "user_ids": Doc(_people(members.USER_IDS, targets.USER_ID.pattern), "User Ids, each "
                        "plain or with from/until dates.", example="[005Hs00000AbCdEIAX]"),
        "usernames": Doc(_people(members.USERNAMES, "@"), "Salesforce usernames, each plain "
                         "or with from/until dates.", example="[ann@northwind.example]"),
        "where": Doc(table(SCALAR), "User fields that must all equal the given values.",
                     example="{Department: Sales Development}"),
    }, "Who is on the team: a user matching any rule.")
    member_rules["minProperties"] = 1
    return mapping(teams.TEAM_KEYS, {
        "id": Doc(ID), "name": Doc(TEXT), "members": Doc(member_rules),
        "segment": Doc(TEXT, "A label target overrides can refer to.", example="SMB"),
        "region": Doc(TEXT, "A label target overrides can refer to.", example="East"),
        "kpis": Doc(array(ID, minItems=1, maxItems=teams.MAX_TEAM_KPIS, uniqueItems=True)),
    })


def _measure(extensions: Registry) -> dict[str, Any]:
    forms: list[dict[str, Any]] = [{"const": "count"}]
    forms += [one_key(kind, FIELD, f"The number field whose {kind} over the records is the "
                                   "KPI.", "Amount") for kind in kpis.NUMERIC_MEASURES]
    forms.append(one_key("distinct_count", FIELD, "The field whose different values are "
                                                  "counted.", "WhatId"))
    forms.append(one_key("ratio", mapping(kpis.RATIO_KEYS, {"numerator": Doc(ID),
                                                            "denominator": Doc(ID)}),
                         "One KPI divided by another.", kpis.MEASURE_EXAMPLES["ratio"][8:-1]))
    forms.append(one_key("duration", mapping(kpis.DURATION_KEYS, {"from": Doc(FIELD),
                                                                  "to": Doc(FIELD)}),
                         "The average time from one date field to another, in the KPI's "
                         "unit.", "{from: CreatedDate, to: CloseDate}"))
    forms.append(one_key("formula", TEXT, "Arithmetic over other KPIs and their targets.",
                         '"pipeline / (target(revenue) - revenue)"'))
    for name, options in plugin_schemas(extensions)["measures"].items():
        forms.append(one_key(name, options))
        if not options.get("required"):
            forms.append({"const": name})
    return {"anyOf": forms}


def _target() -> dict[str, Any]:
    per_period = {"type": "object", "propertyNames": enum(targets.TARGET_PERIOD_KINDS),
                  "additionalProperties": NUMBER}
    amounts = {
        "per_period": Doc(per_period, "Explicit per-rep targets by period kind.",
                          example="{quarter: 850}"),
        "periods": Doc(table(NUMBER), "Explicit per-rep targets for named periods, by key: "
                       + targets.PERIOD_KEY_EXAMPLES + ".", example="{2026-Q4: 1000}"),
    }
    override = mapping(targets.OVERRIDE_KEYS, {
        "team": Doc(ID, "A team id.", example="ae_enterprise"),
        "segment": Doc(TEXT, "A segment label.", example="Enterprise"),
        "region": Doc(TEXT, "A region label.", example="West"),
        "role": Doc(TEXT, "A Salesforce role name.", example="SDR East"),
        "rep": Doc(TEXT, "A username or a user Id.", example="jane@northwind.example"),
        "per_rep": Doc(NUMBER), **amounts,
    }, "Per-rep targets for some reps: exactly one of team, segment, region, role or rep.")
    override["oneOf"] = [{"required": [scope]} for scope in targets.SCOPES]
    return mapping(targets.TARGET_KEYS, {
        "per_rep": Doc(NUMBER, "The target per rep per org.default_period.", example="300"),
        "direction": Doc(enum(targets.DIRECTIONS), "lower when a smaller number is better.",
                         "higher", "lower"),
        "overrides": Doc(array(override), "Per-rep targets for some reps; the most specific "
                         "wins (rep, role, team, segment, region).",
                         example="[{region: West, per_rep: 280}]"),
        **amounts,
        "team_totals": Doc(table(NUMBER), "Team id → the team's own target per default "
                           "period (counts and sums).", example="{ae_smb: 5000}"),
        "ramp": Doc(_ramp(targets.KPI_RAMP_KEYS), "This KPI's own new-hire ramp.",
                    example="{months: [50, 75]}"),
    }, "What good looks like.")


def _ramp(keys: tuple[Key, ...]) -> dict[str, Any]:
    docs = {"months": Doc(array({"type": "number", "minimum": 0, "maximum": 100}),
                          example="[25, 50, 75]")}
    if any(k.name == "start_dates" for k in keys):
        docs["start_dates"] = Doc(table(DATE), "Username or user Id → first day, when "
                                  "User.CreatedDate is not it.",
                                  example="{jane@northwind.example: 2026-09-01}")
    return mapping(keys, docs)


def _where() -> dict[str, Any]:
    operators = {"type": "object", "minProperties": 1, "propertyNames": enum(FILTER_OPS),
                 "additionalProperties": {"anyOf": [SCALAR, array(SCALAR)]}}
    group = array({"$ref": "#/$defs/where"}, minItems=1)
    groups = {
        "all": group | {"description": "Conditions that must all hold.",
                        "examples": ["[{Type: Demo}, {Subject: {contains: pricing}}]"]},
        "any": group | {"description": "Conditions of which at least one must hold.",
                        "examples": ["[{CallDurationInSeconds: {gte: 120}}, "
                                     "{CallDisposition: {starts_with: Connected}}]"]},
    }
    return {"type": "object", "properties": groups,
            "additionalProperties": {"anyOf": [SCALAR, operators]},
            "description": "Field → value or {operator: value}; all hold. all: and any: "
                           "take lists of such mappings."}


def _kpi() -> dict[str, Any]:
    from kpisync.config.kpis import KPI_KEYS, KPI_TYPES

    schema = mapping(KPI_KEYS, {
        "id": Doc(ID), "name": Doc(TEXT),
        "description": Doc({"type": "string"}, "One sentence saying what is counted.", "",
                           "Calls that lasted at least two minutes."),
        "tier": Doc(enum(TIERS)), "type": Doc(enum(KPI_TYPES)), "unit": Doc(enum(UNITS)),
        "source": Doc(TEXT, "The Salesforce object the records come from (not for ratios "
                            "and formulas).", example="Task"),
        "measure": Doc({"$ref": "#/$defs/measure"}, "How records become one number: "
                       + ", ".join(kpis.MEASURE_EXAMPLES.values()) + ".", example="count"),
        "where": Doc({"$ref": "#/$defs/where"}, "Filters a record must pass; default: all "
                     "records.", example="{TaskSubtype: Call}"),
        "date": Doc({"anyOf": [FIELD, array(FIELD, minItems=2, uniqueItems=True)]},
                    "The date field that puts a record in a period, or a list tried in order; "
                    "default: the source's.", example="[ActivityDate, CreatedDate]"),
        "credit": Doc(FIELD, "The user lookup crediting a record to a rep; default: the "
                             "source's owner.", example="OwnerId"),
        "target": Doc({"$ref": "#/$defs/target"}, "What good looks like; default: no "
                      "target.", example="{per_rep: 300}"),
    })
    # a ratio or formula combines other KPIs and reads no records; every other KPI has a source
    computed = {"anyOf": [{"required": [kind]} for kind in kpis.COMPUTED_MEASURES]}
    schema["if"] = {"properties": {"measure": {"type": "object", **computed}},
                    "required": ["measure"]}
    schema["then"] = {"not": {"anyOf": [{"required": [k]} for k in kpis.NOT_FOR_COMPUTED]}}
    schema["else"] = {"required": ["source"]}
    return schema


def _cascade() -> dict[str, Any]:
    steps = array(ID, minItems=2, uniqueItems=True)
    match = {"oneOf": [enum(cohorts.MATCH_WORDS), mapping(cohorts.MATCH_KEYS, {
        "from": Doc(FIELD), "to": Doc(FIELD)})]}
    cohort = mapping(cohorts.COHORT_KEYS, {
        "from": Doc(ID), "to": Doc(ID),
        "within_days": Doc(integer(1, cohorts.MAX_WITHIN_DAYS), example="30"),
        "match": Doc(match, "What both records must share: account, who, or {from, to} "
                            "fields.", "account", "who"),
    })
    form = mapping(cascade.CASCADE_KEYS, {
        "steps": Doc(steps),
        "min_sample": Doc(integer(1, cascade.MAX_MIN_SAMPLE), "Below this many records at a "
                          "step's base, a rate is not trusted.",
                          default(CascadeOptions, "min_sample")),
        "goal": Doc(mapping(cascade.GOAL_KEYS, {
            "kpi": Doc(ID), "per_deal": Doc(ID, "A KPI giving the value of one deal, when "
                                                "kpi is not a step.",
                                            example="average_deal_size")}),
            "The target the reverse funnel works back from; default: the last step.",
            example="{kpi: closed_won_revenue, per_deal: average_deal_size}"),
        "cohorts": Doc(array(cohort), "Windowed conversion steps."),
    })
    return {"oneOf": [steps, form], "description": "The funnel, first activity to closed "
                                                   "deal: a list of KPI ids, or a mapping."}


def _scoring() -> dict[str, Any]:
    weights = mapping(scoring.WEIGHT_KEYS, {
        tier: Doc({"type": "number", "minimum": 0, "maximum": 100},
                  f"Percent of the score for the {tier} tier.",
                  int(dict(DEFAULT_TIER_WEIGHTS)[tier]))
        for tier in TIERS})
    return mapping(scoring.SCORING_KEYS, {
        "weights": Doc(weights, "Percent per tier, adding up to 100; a tier left out weighs "
                                "0."),
        "cap": Doc({"type": "number", "minimum": int(scoring.MIN_CAP)}, "Attainment counts for "
                   "at most this many percent.", 150),
    }, "How the tiers weigh in the scorecard score.")


def _site() -> dict[str, Any]:
    switches = {
        "leaderboards": "false: no leaderboard pages.",
        "drill_through": "false: figures do not link to the records behind them.",
        "rep_pages": "false: team-level pages only, no rep names anywhere.",
        "record_labels": "true: sync and show each drill-through record's Subject or Name.",
    }
    switch = {name: Doc(BOOLEAN, text, default(SiteOptions, name),
                        "true" if default(SiteOptions, name) is False else "false")
              for name, text in switches.items()}
    return mapping(site.SITE_KEYS, {
        **switch,
        "rep_names": Doc(enum(REP_NAME_STYLES), "How rep names are written.",
                         default(SiteOptions, "rep_names"), "initials"),
        "salesforce_url": Doc({"type": "string", "pattern": "^https://"}, "The org's address; "
                              "drill-through records link to it.",
                              example="https://acme.my.salesforce.com"),
        "stale_after": Doc({"anyOf": [{"type": "string", "pattern": r"^\s*\d+\s*[mhd]\s*$"},
                                      {"const": False}]},
                           "After this long since the last sync every page shows a banner "
                           "(90m, 36h, 2d); false: never.", "36h", "2d"),
        "base_url": Doc(TEXT, "Where the site is served: a path or a full address.",
                        example="/scorecards/"),
    }, "What the published site shows.")


def _objects() -> dict[str, Any]:
    declared = mapping(objects.OBJECT_KEYS, {
        "fields": Doc(table(enum(objects.FIELD_TYPES)),
                      example="{Status: picklist, ConvertedDate: date}"),
        "date": Doc(FIELD, "The field that dates a record.", "CreatedDate"),
        "credit": Doc(FIELD, "The user lookup that credits a record.", "OwnerId"),
    })
    return {"type": "object", "propertyNames": {"pattern": r"^[A-Za-z][A-Za-z0-9_]*$"},
            "additionalProperties": declared,
            "description": "Salesforce objects kpisync does not know, for KPIs to use as "
                           "their source."}


def _period() -> dict[str, Any]:
    return mapping(periods.PERIOD_KEYS, {"id": Doc(ID),
                                         "name": Doc(TEXT, example="Spring campaign"),
                                         "start": Doc(DATE), "end": Doc(DATE)})


def _table_mapping() -> dict[str, Any]:
    from kpisync.config import mapping as tables

    mapped = mapping(tables.OBJECT_KEYS, {
        "table": Doc(TEXT, "The table holding the object's records.", example="calendar_event"),
        "fields": Doc(table(TEXT), "Salesforce field name: column, where the preset differs.",
                      example="{Meeting_Held__c: meeting_was_held}"),
    })
    return mapping(tables.MAPPING_KEYS, {
        "preset": Doc(enum(tables.PRESET_NAMES), "How the replicating tool names tables and "
                      "columns.", "salesforce", "fivetran"),
        "objects": Doc({"type": "object", "additionalProperties": {"anyOf": [TEXT, mapped]}},
                       "Per-object overrides of the preset; `Object: table` is short for "
                       "`table:` alone.",
                       example="{Event: {table: calendar_event}}"),
    })


def kpis_schema(extensions: Registry) -> dict[str, Any]:
    """The JSON Schema of kpis.yaml with ``extensions``' plugins."""
    from kpisync.config.validate import TOP_KEYS

    added = plugin_schemas(extensions)
    schema = mapping(TOP_KEYS, {
        "org": Doc(_org()),
        "objects": Doc(_objects(), example="{Lead: {fields: {Status: picklist, ConvertedDate: "
                                           "date}}}"),
        "teams": Doc(array(_team(), minItems=1)),
        "kpis": Doc(array(_kpi(), minItems=1)),
        "cascade": Doc(_cascade()),
        "periods": Doc(array(_period()), "Named date ranges (a campaign, a contest)."),
        "ramp": Doc(_ramp(targets.RAMP_KEYS), "New hires' share of their targets by month "
                    "of tenure."),
        "pacing": Doc(mapping(targets.PACING_KEYS, {"tolerance": Doc(
            {"type": "number", "minimum": 0, "exclusiveMaximum": 100},
            default=default(Pacing, "tolerance"))}), "How close to expected is on pace."),
        "stages": Doc(array(TEXT, uniqueItems=True), "Opportunity stages in funnel order.",
                      example="[Prospecting, Qualification, Closed Won]"),
        "scoring": Doc(_scoring()),
        "site": Doc(_site()),
        "engine": Doc(mapping(ENGINE_KEYS, {
            "url": Doc(TEXT), "schema": Doc(TEXT, "Where the tables are (PostgreSQL).",
                                            "public")}), "Where compute runs."),
        "mapping": Doc(_table_mapping(), "Read the Salesforce tables another tool "
                       "replicates into the engine instead of syncing (docs/engines.md).",
                       example="{preset: fivetran}"),
        "plugins": Doc(added["plugins"], "Installed plugins' own options, by plugin name "
                                         "(`kpisync plugins` lists them).",
                       example="{monday_digest: {top: 5}}"),
        "outputs": Doc(added["outputs"], "What a build writes, and with which options."),
        "store_sources": Doc(added["store_sources"], "Plugins' store sources that kpisync sync "
                             "runs: NAME: false turns one off.", example="{gong: false}"),
    })
    return {"$schema": DIALECT, "title": "kpis.yaml",
            "description": "kpisync's configuration: teams, KPIs, targets and the funnel "
                           "(docs/config.md).",
            **schema,
            "$defs": {"measure": _measure(extensions), "where": _where(),
                      "target": _target()}}


def schema_text(extensions: Registry) -> str:
    """``kpis_schema`` as the JSON file ``kpisync schema`` writes."""
    return json.dumps(kpis_schema(extensions), indent=2, ensure_ascii=False) + "\n"
