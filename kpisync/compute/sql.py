"""Compile one KPI into one SQL query, built with sqlglot so it is dialect-aware.

The query reads the KPI's raw table, keeps live records that pass its filters, puts each record
in the periods containing its local date, credits it to a rep and to the team that rep was on
that day, and aggregates per rep, per team, for the org and per unassigned owner in one pass
(GROUPING SETS). Values from kpis.yaml are bound as parameters; identifiers are quoted; nothing
is pasted into SQL text.

    WITH facts AS (SELECT credited user, local day, value FROM raw WHERE live AND filters),
    credited AS (SELECT facts + the user's team on that day FROM facts LEFT JOIN members)
    SELECT period, team, rep, owner, GROUPING(team, rep, owner), aggregate(value), COUNT(*)
    FROM credited JOIN periods GROUP BY GROUPING SETS (...)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlglot import exp

from kpisync.compute.measures import RESULT_TYPE, FieldRef, SqlMeasure
from kpisync.config.model import Filter, FilterGroup, Kpi
from kpisync.errors import ComputeError
from kpisync.sobjects import Hop, resolve_path, table_of

MEMBERS_TABLE = "kpisync_members"
PERIODS_TABLE = "kpisync_periods"
DIALECT = "duckdb"

# Column of GROUPING(team_id, rep_id, owner_id): which grouping set a result row belongs to
# (a bit is set for each column the set leaves out). Team rows and unassigned-owner rows are
# one set, (period, team, owner): owner_id is NULL on every record credited to a team, so each
# team is one row, and the records of no team (team_id NULL) split by owner.
GROUP_REP, GROUP_TEAM, GROUP_ORG = 0b101, 0b010, 0b111
GROUP_OWNER = GROUP_TEAM


@dataclass
class Params:
    """Collects bound values and hands out ``$pN`` placeholders for them."""

    values: dict[str, Any] = field(default_factory=dict)
    #: placeholder names start with it; queries batched into one statement each get their own
    prefix: str = "p"

    def bind(self, value: Any) -> exp.Expression:
        name = f"{self.prefix}{len(self.values) + 1}"
        self.values[name] = value
        return exp.Placeholder(this=name)


@dataclass(frozen=True)
class CompiledKpi:
    """A compiled query: the sqlglot expression engines render in their own dialect, and the
    values its placeholders bind."""

    kpi_id: str
    query: exp.Expression
    params: dict[str, Any]

    @property
    def sql(self) -> str:
        """The query as DuckDB runs it, laid out for reading (explain shows it)."""
        return self.query.sql(dialect=DIALECT, pretty=True)


class _Record:
    """Resolves a KPI's field names to columns of its raw table (alias ``r``), LEFT JOINing
    one table per lookup path (``Owner.UserRole.Name``: ``owner`` then ``owner_userrole``),
    and puts datetimes on their local day.

    A path's join is made once and reused by every field along it. A record whose lookup is
    empty (no AccountId, or an account the store does not have) gets NULL for the field:
    it fails ``eq``/``in``/comparisons and passes ``ne``/``not_in``, as in SOQL."""

    def __init__(self, kpi: Kpi, columns: Mapping[str, Mapping[str, str]], timezone: str,
                 params: Params):
        assert kpi.source is not None, "ratio KPIs are not compiled to SQL"
        self.kpi, self.columns, self.timezone, self.params = kpi, columns, timezone, params
        self.alias = exp.to_identifier("r")
        self.joins: list[tuple[exp.Expression, exp.Expression]] = []
        self._aliases: dict[str, exp.Identifier] = {}  # lookup path -> its joined table
        self._zone: exp.Expression | None = None  # bound on first use: DuckDB rejects unused

    def field(self, name: str) -> FieldRef:
        path = resolve_path(self.kpi.source, name)  # type: ignore[arg-type]
        alias = self.alias
        for hop in path.hops:
            alias = self._join(hop, alias)
        return FieldRef(
            exp.column(path.field, table=alias, quoted=True),
            _field_type(self.columns, path.sobject, path.field, self.kpi),
        )

    def _join(self, hop: Hop, parent: exp.Identifier) -> exp.Identifier:
        if hop.path not in self._aliases:
            _field_type(self.columns, hop.source, hop.reference, self.kpi)
            _field_type(self.columns, hop.target, "Id", self.kpi)
            # quoted: a relationship name may be an SQL keyword (Owner, Parent, User...)
            alias = exp.to_identifier(hop.path.lower().replace(".", "_"), quoted=True)
            self._aliases[hop.path] = alias
            self.joins.append((
                exp.to_table(table_of(hop.target)).as_(alias),
                exp.column("Id", table=alias, quoted=True).eq(
                    exp.column(hop.reference, table=parent, quoted=True)),
            ))
        return self._aliases[hop.path]

    def local_date(self, ref: FieldRef) -> exp.Expression:
        # Salesforce datetimes are UTC instants; a record belongs to the period of its local day.
        if ref.sf_type == "datetime":
            if self._zone is None:
                self._zone = self.params.bind(self.timezone)
            return exp.cast(exp.AtTimeZone(this=ref.column, zone=self._zone.copy()), "DATE")
        return exp.cast(ref.column, "DATE")

    def day(self, names: tuple[str, ...]) -> exp.Expression:
        """The local date of the first of ``names`` that is set (``date: [ActivityDate,
        CreatedDate]``); one name is just its local date."""
        first, *rest = (self.local_date(self.field(n)) for n in names)
        return exp.Coalesce(this=first, expressions=rest) if rest else first


def source_field(kpi: Kpi, name: str, columns: Mapping[str, Mapping[str, str]]) -> FieldRef:
    """A field of the KPI's records exactly as its query reads it (a parent's field joined),
    with the type the store holds; a ComputeError if the store lacks it."""
    return _Record(kpi, columns, "UTC", Params()).field(name)


def facts_query(
    kpi: Kpi,
    *,
    measure: SqlMeasure,
    columns: Mapping[str, Mapping[str, str]],
    timezone: str,
    params: Params,
    extra_fields: tuple[str, ...] = (),
) -> exp.Select:
    """One row per live record that passes the KPI's filters: ``rep_id`` (the credited user),
    ``day`` (the local date that puts it in a period), ``value`` (what the measure folds), and
    each of ``extra_fields`` under its own name (``Id`` for explain, a key for cohorts)."""
    record = _Record(kpi, columns, timezone, params)
    credit = record.field(kpi.credit_field or "OwnerId")
    day = record.day(kpi.date_fields or ("CreatedDate",))
    value = measure.value(kpi, record.field, record.local_date)
    deleted = exp.column("IsDeleted", table=record.alias, quoted=True)
    live = exp.not_(exp.Coalesce(this=deleted, expressions=[exp.false()]))
    filters = [where(item, record.field, record.local_date, params) for item in kpi.filters]
    extras = [record.field(name).column.as_(name, quoted=True) for name in extra_fields]

    facts = exp.select(
        credit.column.as_("rep_id"), day.as_("day"), value.as_("value"), *extras
    ).from_(exp.to_table(table_of(kpi.source)).as_(record.alias))  # type: ignore[arg-type]
    for table, on in record.joins:
        facts = facts.join(table, on=on, join_type="LEFT")
    return facts.where(exp.and_(live, *filters))


def compile_kpi(
    kpi: Kpi,
    *,
    measure: SqlMeasure,
    columns: Mapping[str, Mapping[str, str]],
    timezone: str,
) -> CompiledKpi:
    """The query for a KPI with a source. ``columns`` maps each raw table's object name to its
    field types (Salesforce describe types), as the store holds them.

    Each result row is one grouping set (``grp``, see GROUP_*): per period and rep, per period
    and team or, for the records credited to nobody on a team that day (``team_id`` NULL), per
    period and owner, and per period for the org. ``records`` counts the records aggregated."""
    params = Params()
    query = kpi_query(kpi, measure=measure, columns=columns, timezone=timezone, params=params)
    return CompiledKpi(kpi.id, query, params.values)


def compile_batch(
    kpis: list[tuple[Kpi, SqlMeasure]],
    *,
    columns: Mapping[str, Mapping[str, str]],
    timezone: str,
) -> CompiledKpi:
    """Every KPI's query in one statement (UNION ALL), each row led by its ``kpi_id``.

    The engine runs all its KPIs this way: DuckDB plans the branches together and runs them in
    parallel, where one statement per KPI pays a plan and a scan of the members and periods
    each time. ``actual`` is cast to the result type in every branch so that a plugin measure
    returning another type cannot change the others' through the union's common type."""
    branches = []
    values: dict[str, Any] = {}
    for index, (kpi, measure) in enumerate(kpis):
        params = Params(prefix=f"k{index + 1}_")
        query = kpi_query(kpi, measure=measure, columns=columns, timezone=timezone,
                          params=params)
        values |= params.values
        branches.append(
            exp.select(
                exp.Literal.string(kpi.id).as_("kpi_id"),
                *(exp.column(name) for name in ("period_key", "team_id", "rep_id", "owner_id",
                                                "grp")),
                exp.cast(exp.column("actual"), RESULT_TYPE).as_("actual"),
                exp.column("records"),
            ).from_(query.subquery(f"k{index + 1}", copy=False), copy=False)
        )
    if not branches:
        raise ComputeError("no KPI to compile")
    batch = branches[0]
    for branch in branches[1:]:
        # copy=False: each branch is built here and used once, and copying the union so far
        # at every step made compiling a dozen KPIs cost as much as a fifth of running them
        batch = exp.union(batch, branch, distinct=False, copy=False)
    return CompiledKpi("*", batch, values)


def kpi_query(
    kpi: Kpi,
    *,
    measure: SqlMeasure,
    columns: Mapping[str, Mapping[str, str]],
    timezone: str,
    params: Params,
) -> exp.Select:
    """``compile_kpi``'s query as a sqlglot expression, its values bound into ``params``."""
    facts = facts_query(kpi, measure=measure, columns=columns, timezone=timezone, params=params)

    c, p = (exp.to_identifier(a) for a in ("c", "p"))
    team_col, rep_col, owner_col = (exp.column(n, table=c) for n in ("team_id", "rep_id",
                                                                     "owner_id"))
    period_col = exp.column("period_key", table=p)
    return (
        exp.select(
            period_col.as_("period_key"),
            team_col.as_("team_id"),
            rep_col.as_("rep_id"),
            owner_col.as_("owner_id"),
            exp.Anonymous(this="GROUPING",
                          expressions=[team_col.copy(), rep_col.copy(), owner_col.copy()])
            .as_("grp"),
            measure.aggregate(exp.column("value", table=c)).as_("actual"),
            exp.Count(this=exp.Star()).as_("records"),
        )
        # copy=False: the select is new, so each step can extend it rather than copy it
        .with_("facts", as_=facts, copy=False)
        .with_("credited", as_=credited_query(), copy=False)
        .from_(exp.to_table("credited").as_(c), copy=False)
        .join(
            exp.to_table(PERIODS_TABLE).as_(p),
            on=exp.Between(
                this=exp.column("day", table=c),
                low=exp.column("period_start", table=p),
                high=exp.column("period_end", table=p),
            ),
            copy=False,
        )
        .group_by(
            exp.GroupingSets(
                expressions=[
                    exp.Tuple(expressions=[period_col.copy(), rep_col.copy()]),
                    exp.Tuple(expressions=[period_col.copy(), team_col.copy(), owner_col.copy()]),
                    exp.Tuple(expressions=[period_col.copy()]),
                ]
            ),
            copy=False,
        )
    )


def credited_query(extra_fields: tuple[str, ...] = ()) -> exp.Select:
    """``facts`` with the team and rep each record is credited to: the credited user's team on
    the record's day. Records of users on no team that day (or of no user) keep their owner in
    ``owner_id`` and have no team or rep: the org counts them, no team does. ``extra_fields``
    are the facts' own extra columns, passed through."""
    f, m = exp.to_identifier("f"), exp.to_identifier("m")
    on_team = exp.and_(
        exp.column("rep_id", table=m).eq(exp.column("rep_id", table=f)),
        exp.Between(
            this=exp.column("day", table=f),
            low=exp.column("valid_from", table=m),
            high=exp.column("valid_until", table=m),
        ),
    )
    unassigned_owner = exp.Case(
        ifs=[exp.If(this=exp.column("team_id", table=m).is_(exp.null()),
                    true=exp.column("rep_id", table=f))]
    )
    return (
        exp.select(
            exp.column("day", table=f),
            exp.column("value", table=f),
            exp.column("team_id", table=m),
            exp.column("rep_id", table=m),
            unassigned_owner.as_("owner_id"),
            *(exp.column(name, table=f, quoted=True) for name in extra_fields),
        )
        .from_(exp.to_table("facts").as_(f))
        .join(exp.to_table(MEMBERS_TABLE).as_(m), on=on_team, join_type="left")
    )


def _field_type(columns: Mapping[str, Mapping[str, str]], sobject: str, name: str, kpi: Kpi) -> str:
    table = columns.get(sobject)
    if table is None:
        raise ComputeError(
            f"KPI '{kpi.id}' (kpis.yaml line {kpi.line}) reads {sobject}, but the store has no "
            f"{sobject} records: run `kpisync sync` first"
        )
    if name not in table:
        raise ComputeError(
            f"KPI '{kpi.id}' (kpis.yaml line {kpi.line}) uses {sobject}.{name}, which the store "
            f"does not have: run `kpisync sync` to fetch the fields kpis.yaml now needs"
        )
    return table[name]


_COMPARISONS: dict[str, Callable[..., exp.Expression]] = {
    "eq": exp.EQ,
    "gt": exp.GT,
    "gte": exp.GTE,
    "lt": exp.LT,
    "lte": exp.LTE,
}


def where(
    item: Filter | FilterGroup,
    field: Callable[[str], FieldRef],
    local_date: Callable[[FieldRef], exp.Expression],
    params: Params,
) -> exp.Expression:
    """A filter or an ``all:``/``any:`` group as SQL; sqlglot parenthesizes nested groups."""
    if isinstance(item, FilterGroup):
        parts = [where(i, field, local_date, params) for i in item.items]
        return exp.and_(*parts) if item.kind == "all" else exp.or_(*parts)
    return _condition(item, field(item.field), local_date, params)


#: SQL LIKE's wildcards, and the character that escapes them in kpisync's patterns
_LIKE_ESCAPE = "\\"


def _like(column: exp.Expression, pattern: str, params: Params) -> exp.Expression:
    """Case-insensitive LIKE, as SOQL's LIKE is; the pattern is bound, never pasted."""
    return exp.Escape(this=exp.ILike(this=column, expression=params.bind(pattern)),
                      expression=exp.Literal.string(_LIKE_ESCAPE))


def like_literal(text: str) -> str:
    """``text`` with LIKE's wildcards (% and _) and the escape character escaped, so that
    ``starts_with: 100%`` looks for "100%", not "100" followed by anything."""
    for char in (_LIKE_ESCAPE, "%", "_"):
        text = text.replace(char, _LIKE_ESCAPE + char)
    return text


def _condition(
    flt: Filter, ref: FieldRef, local_date: Callable[[FieldRef], exp.Expression], params: Params
) -> exp.Expression:
    """One filter as SQL. ``ne`` and ``not_in`` keep records whose field is empty, as SOQL does
    (``Type != 'Call'`` matches tasks with no Type); ``starts_with`` and ``contains`` never
    match an empty field, and ignore case, as SOQL's LIKE does."""
    column = ref.column
    value = flt.value
    # A date compared with a datetime field means that local day, not midnight UTC.
    if ref.sf_type == "datetime" and _is_date_value(value):
        column = local_date(ref)
    if flt.op in ("is_null", "is_not_null"):
        test = exp.Is(this=column, expression=exp.null())
        return test if value == (flt.op == "is_null") else exp.not_(test)
    if flt.op == "starts_with":
        return _like(column, like_literal(value) + "%", params)
    if flt.op == "contains":
        return _like(column, "%" + like_literal(value) + "%", params)
    if flt.op == "between":
        low, high = value
        return exp.Between(this=column, low=params.bind(_sql_value(low)),
                           high=params.bind(_sql_value(high)))
    if flt.op in ("in", "not_in"):
        members = exp.In(this=column, expressions=[params.bind(_sql_value(v)) for v in value])
        if flt.op == "in":
            return members
        return exp.or_(exp.Is(this=column.copy(), expression=exp.null()), exp.not_(members))
    if flt.op == "ne":
        return exp.NullSafeNEQ(this=column, expression=params.bind(_sql_value(value)))
    return _COMPARISONS[flt.op](this=column, expression=params.bind(_sql_value(value)))


def _is_date_value(value: Any) -> bool:
    values = value if isinstance(value, tuple) else (value,)
    return any(isinstance(v, date) and not isinstance(v, datetime) for v in values)


def _sql_value(value: Any) -> Any:
    # DuckDB binds Decimal exactly; ints and strings pass through unchanged.
    return value if not isinstance(value, float) else Decimal(str(value))
