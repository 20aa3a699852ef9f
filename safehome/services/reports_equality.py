"""The equality report: clients by every protected characteristic, and the groups the council names.

Clients of a quarter are the cases open at any time in it: opened before the
quarter's end, and not closed for the whole of it (closed before it began,
by the case's history, with no reopening inside it). Each client counts once
per characteristic, by the answers on the case (``Household.equality``:
every answer optional, "prefer not to say" allowed); age is the lead
person's (position 0) in whole years on the quarter's last day, from their
birth date.

The under-represented groups (Lot 2, section 6), each a count of clients:

- over 60: the lead is 60 or older;
- male victims: the lead person's gender is male;
- aged 16-25: the lead is 16 to 25;
- black, minority ethnic and refugee: an ethnicity answered other than White
  British (ONS's "ethnic minorities", which include White minorities), or
  refugee or asylum seeker;
- no recourse to public funds: the case's needs include NRPF;
- disabled: the disability answer is yes;
- lesbian, gay, bisexual or trans: sexual orientation gay, lesbian or bisexual,
  or gender reassignment yes;
- preferred language not English: the first language listed on the case
  (its preferred one) is not English.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Select, Text, and_, case, cast, false, func, literal, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from safehome.codes import EQUALITY_ANSWERS, PREFER_NOT_TO_SAY, CaseStatus, EqualityField, Feature, Gender
from safehome.models import CaseStatusChange, Household, Member
from safehome.services.reports_base import COUNT, PERCENT, ChartSpec, Cell, Quarter, Report, Row, Table, drill, drill_args

NOT_RECORDED = "not_recorded"
UNLISTED = "unlisted"  # stored answers on no list: none can be entered, but a JSON column holds what it is given
AGE_BANDS = [("under_16", "Under 16", None, 15), ("16_25", "16 to 25", 16, 25), ("26_35", "26 to 35", 26, 35),
             ("36_45", "36 to 45", 36, 45), ("46_59", "46 to 59", 46, 59), ("60_plus", "60 and over", 60, None)]


def years_before(day: date, years: int) -> date:
    """The same day ``years`` earlier; 29 February goes to 28 February."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _age_at_least(years: int, on: date):
    """The lead (``Member``) is at least ``years`` old on ``on``: born on or before that day ``years`` earlier."""
    return Member.birth_date <= years_before(on, years)


def clients(quarter: Quarter):
    """The condition on ``Household`` for a case open at any time in the quarter."""
    later = aliased(CaseStatusChange)
    last_before = (select(CaseStatusChange.status).where(CaseStatusChange.household_id == Household.id,
                                                         CaseStatusChange.at < quarter.start_at)
                   .order_by(CaseStatusChange.at.desc(), CaseStatusChange.id.desc()).limit(1).scalar_subquery())
    # The cases reopened in the quarter, found once (not looked up case by case): a handful.
    reopened_inside = Household.id.in_(select(later.household_id).where(
        later.status == CaseStatus.OPEN, later.at >= quarter.start_at, later.at < quarter.end_at))
    # A case with no history before the quarter is closed at its start if its close date is before it.
    # Every term is TRUE or FALSE, never NULL (a NULL would drop the case from both sides of a NOT).
    without_history = case((Household.closed_at < quarter.start_at, CaseStatus.CLOSED.value), else_="")
    closed_at_start = func.coalesce(last_before, without_history) == CaseStatus.CLOSED.value
    closed_all_quarter = and_(closed_at_start, ~reopened_inside)
    return and_(Household.opened_at < quarter.end_at, ~closed_all_quarter)


def _population(quarter: Quarter) -> Select:
    """Clients with their lead person (joined, for age and gender)."""
    return (select(Household.id.label("household_id"), Household.reference)
            .join(Member, and_(Member.household_id == Household.id, Member.position == 0))
            .where(clients(quarter)))


def characteristic(field: str, quarter: Quarter):
    """The answer code of one characteristic per client (``not_recorded`` when not answered)."""
    if field == EqualityField.AGE_BAND:
        whens = []
        for key, _label, low, _high in reversed(AGE_BANDS):
            if low is not None:
                whens.append((_age_at_least(low, quarter.end), key))
        return case(*whens, else_="under_16")
    return func.coalesce(Household.equality[field].as_string(), NOT_RECORDED)


def _answers(field: str) -> list[tuple[str, str]]:
    if field == EqualityField.AGE_BAND:
        return [(key, label) for key, label, _low, _high in AGE_BANDS]
    return EQUALITY_ANSWERS[field] + [(PREFER_NOT_TO_SAY, "Prefer not to say"), (NOT_RECORDED, "Not recorded")]


GROUPS: dict[str, str] = {
    "over_60": "Aged over 60",
    "male": "Male victims",
    "aged_16_25": "Aged 16 to 25",
    "bmer": "Black, minority ethnic and refugee",
    "nrpf": "No recourse to public funds",
    "disabled": "Disabled",
    "lgbt": "Lesbian, gay, bisexual or trans",
    "language": "Preferred language not English",
}


def group_condition(key: str, quarter: Quarter):
    """The condition (on the client and their lead) for one under-represented group."""
    equality = Household.equality
    conditions = {
        "over_60": _age_at_least(60, quarter.end),
        "male": Member.gender == Gender.MALE,
        "aged_16_25": and_(_age_at_least(16, quarter.end), ~_age_at_least(26, quarter.end)),
        "bmer": and_(equality["ethnicity"].as_string().is_not(None),
                     equality["ethnicity"].as_string().not_in(["white_british", PREFER_NOT_TO_SAY])),
        # A quoted match in the JSON text: codes are checked against their list, so "nrpf" hits nothing longer.
        "nrpf": cast(Household.needs, Text).like(f'%"{Feature.NRPF.value}"%'),
        "disabled": equality["disability"].as_string() == "yes",
        "lgbt": or_(equality["sexual_orientation"].as_string().in_(["gay_lesbian", "bisexual"]),
                    equality["gender_reassignment"].as_string() == "yes"),
        "language": and_(Household.languages[0].as_string().is_not(None),
                         Household.languages[0].as_string() != "english"),
    }
    return conditions[key]


@drill("equality")
def _equality_cases(quarter: Quarter, args: dict) -> Select:
    field = args.get("field")
    if field not in EqualityField.codes():
        return _population(quarter).where(false())
    query = _population(quarter)
    if args.get("answer") == UNLISTED:
        query = query.where(characteristic(field, quarter).not_in([code for code, _label in _answers(field)]))
    elif args.get("answer"):
        query = query.where(characteristic(field, quarter) == args["answer"])
    return query


@drill("equality_group")
def _group_cases(quarter: Quarter, args: dict) -> Select:
    if args.get("group") not in GROUPS:
        return _population(quarter).where(false())
    return _population(quarter).where(group_condition(args["group"], quarter))


def equality_report(session: Session, quarter: Quarter) -> Report:
    """Clients of the quarter by each protected characteristic, and by each under-represented group.

    One statement: the clients, each with every answer and group, are found once (a common table
    expression, which the database keeps as a temporary table because every count reads it); each
    count is then a GROUP BY over it.
    """
    fields = [field.value for field in EqualityField]
    clients_ = (select(*[characteristic(field, quarter).label(f"f_{field}") for field in fields],
                       *[case((group_condition(key, quarter), 1), else_=0).label(f"g_{key}") for key in GROUPS])
                .select_from(Household).join(Member, and_(Member.household_id == Household.id, Member.position == 0))
                .where(clients(quarter))).cte("clients")
    parts = [select(literal("total"), literal(""), func.count()).select_from(clients_)]
    parts += [select(literal("group"), literal(key), func.coalesce(func.sum(clients_.c[f"g_{key}"]), 0))
              for key in GROUPS]
    parts += [select(literal(field), cast(clients_.c[f"f_{field}"], Text), func.count())
              .group_by(clients_.c[f"f_{field}"]) for field in fields]
    counts: dict[str, dict[str, int]] = {}
    for part, code, n in session.execute(union_all(*parts)):
        counts.setdefault(part, {})[code] = int(n)
    total = counts["total"][""]
    tables = []
    groups = Table("groups", "Under-represented groups", "Group", ["Clients", "Percent of clients"], [
        Row(label, [Cell(counts["group"][key], COUNT, drill_args("equality_group", group=key)),
                    Cell(round(100 * counts["group"][key] / total) if total else None, PERCENT)], key)
        for key, label in GROUPS.items()],
        note=f"Of {total} clients (cases open at any time in the quarter). A client may be in several groups.")
    tables.append(groups)
    for field in EqualityField:
        found = counts.get(field.value, {})
        answers = _answers(field.value)
        known = {code for code, _label in answers}
        # A stored answer on no list is counted in one row, never shown: a row's label is always a list's.
        counted = [(code, label, found.get(code, 0)) for code, label in answers]
        unlisted = sum(n for code, n in found.items() if code not in known)
        if unlisted:
            counted.append((UNLISTED, "An answer on no list", unlisted))
        rows = [Row(label, [Cell(n, COUNT, drill_args("equality", field=field.value, answer=code))], code)
                for code, label, n in counted]
        rows.append(Row("Total", [Cell(total, COUNT, drill_args("equality", field=field.value))], "total"))
        tables.append(Table(field.value, field.label, field.label, ["Clients"], rows, col_totals=True))
    charts = [ChartSpec("groups", "bar", f"Under-represented groups, {quarter.short}",
                        "Clients in each group the council names; the table gives the same figures.",
                        "groups", (0,))]
    return Report("equality", "Equality report", quarter, tables, charts)
