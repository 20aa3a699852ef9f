"""Outcome measures at intake, review and exit (the council's rates are counted in reports_return).

Feels safe at home, confidence in living independently and satisfaction with
the accommodation options offered are scored 1 (not at all) to 5
(completely); maintained independent living and moved on to independent
living are yes or no. Each measure keeps its day and who recorded it.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from safehome.codes import SCORED_OUTCOMES, AuditAction, OutcomeMeasureKind, OutcomeStage
from safehome.errors import FieldProblem, ValidationError
from safehome.models import OutcomeMeasure
from safehome.services import Actor, audit
from safehome.services.cases import household_for
from safehome.services.timeliness import today_uk

K = OutcomeMeasureKind
SATISFIED_FROM = 4  # "mostly" or "completely" satisfied counts as satisfied


def record_outcomes(session: Session, actor: Actor, household_id: int, stage: str | None, measured_on: date | None,
                    answers: dict[str, object], *, today: date | None = None) -> list[OutcomeMeasure]:
    """Record the answers given at one stage on one day: ``{kind: 1..5}`` for scored measures,
    ``{kind: True/False}`` for yes/no ones. Unanswered measures are left out."""
    household_for(session, actor, household_id)
    today = today or today_uk()
    problems: list[FieldProblem] = []
    if stage not in OutcomeStage.codes():
        problems.append(FieldProblem("stage", "choose intake, review or exit"))
    if not isinstance(measured_on, date):
        problems.append(FieldProblem("measured_on", "give the date"))
    elif measured_on > today:
        problems.append(FieldProblem("measured_on", "cannot be in the future"))
    given = {k: v for k, v in (answers or {}).items() if v is not None and v != ""}
    for kind in given:
        if kind not in K.codes():
            problems.append(FieldProblem(kind, "is not an outcome measure"))
    rows = []
    for kind in K:
        if kind.value not in given:
            continue
        value = given[kind.value]
        if kind in SCORED_OUTCOMES:
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
                problems.append(FieldProblem(kind.value, "give a score from 1 to 5"))
                continue
            rows.append(OutcomeMeasure(kind=kind, score=value))
        elif not isinstance(value, bool):
            problems.append(FieldProblem(kind.value, "answer yes or no"))
        else:
            rows.append(OutcomeMeasure(kind=kind, achieved=value))
    if not given:
        problems.append(FieldProblem("answers", "answer at least one measure"))
    if problems:
        raise ValidationError("The outcome measures were not recorded.", problems)
    for row in rows:
        row.household_id, row.stage, row.measured_on = household_id, OutcomeStage(stage), measured_on
        row.recorded_by_id = actor.user_id
        session.add(row)
    session.flush()
    audit.record(session, actor, AuditAction.CREATE, "outcome_measure", household_id,
                 f"stage={stage} kinds={','.join(r.kind.value for r in rows)}")
    return rows


def outcomes_for(session: Session, actor: Actor, household_id: int) -> list[OutcomeMeasure]:
    """Every measure of one case, by day."""
    household_for(session, actor, household_id)
    return list(session.scalars(select(OutcomeMeasure).where(OutcomeMeasure.household_id == household_id)
                                .order_by(OutcomeMeasure.measured_on, OutcomeMeasure.id)))
