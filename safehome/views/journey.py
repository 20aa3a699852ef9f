"""The journey page of a case (closing, reopening, outcome measures) and what the journey areas' views share.

The sanctuary, Housing Options and move-on blueprints post their small forms
through ``act``: the service call either succeeds (a message, then back to
the page) or is refused, and then the page shows every problem named by
field, or the refused step with the state it is in, and nothing is written.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import Length, Optional

from safehome.auth_session import current_actor
from safehome.codes import OUTCOME_SCALE, SCORED_OUTCOMES, CloseReason, OutcomeMeasureKind, OutcomeStage
from safehome.errors import DomainError, NotFound
from safehome.extensions import db
from safehome.permissions import Permission, requires
from safehome.services import cases, outcomes
from safehome.views.common import select_choices

bp = Blueprint("cases", __name__, url_prefix="/cases")

YES_NO = [("yes", "Yes"), ("no", "No")]


def choice(label: str, pairs, blank: str | None = "(choose)") -> SelectField:
    """A select of ``(code, label)`` pairs, a blank option first unless ``blank`` is None.

    The service checks the code (and names the field when it is missing), so the form does not.
    """
    options = select_choices(([("", blank)] if blank else []) + list(pairs))
    return SelectField(label, choices=options, validate_choice=False)


def optional_bool(value: str | None) -> bool | None:
    """A yes/no select's answer: True, False, or None when left blank."""
    return {"yes": True, "no": False}.get(value or "")


def act(form: FlaskForm, change: Callable[[], object], success: str, back: str):
    """Run one service change for a posted form; flash the outcome and go back to the page.

    A form that fails its own checks, and any refusal by the service, are shown
    as messages naming each field; the session is rolled back so nothing is half-written.
    A record that is not there (or not the user's to see) is the one 404 page, as everywhere.
    """
    if not form.validate_on_submit():
        for name, messages in form.errors.items():
            label = form[name].label.text if name in form else name
            flash(f"{label}: {'; '.join(messages)}", "error")
        return redirect(back, 303)
    try:
        change()
    except NotFound:
        raise
    except DomainError as exc:
        db.session.rollback()
        if exc.problems:
            for problem in exc.problems:
                flash(f"{problem.field.replace('_', ' ')}: {problem.message}", "error")
        else:
            flash(exc.message, "error")
        return redirect(back, 303)
    flash(success, "info")
    return redirect(back, 303)


class CloseForm(FlaskForm):
    reason = choice("Why is the case closing?", CloseReason.choices())
    note = TextAreaField("Note", validators=[Optional(), Length(max=2000)])


class ReopenForm(FlaskForm):
    note = TextAreaField("Why is it reopening?", validators=[Optional(), Length(max=2000)])


class OutcomeForm(FlaskForm):
    stage = choice("Stage", OutcomeStage.choices(), None)
    measured_on = DateField("Date measured")


# One select per outcome measure, added to the form class from the coded list.
for _kind in OutcomeMeasureKind:
    _pairs = [(str(v), label) for v, label in OUTCOME_SCALE] if _kind in SCORED_OUTCOMES else YES_NO
    setattr(OutcomeForm, _kind.value, choice(_kind.label, _pairs, "(not asked)"))


def outcome_answers(form: OutcomeForm) -> dict[str, object]:
    answers: dict[str, object] = {}
    for kind in OutcomeMeasureKind:
        raw = form[kind.value].data
        if kind in SCORED_OUTCOMES:
            # A score that is not a number goes to the service as it is, to be named as wrong there.
            answers[kind.value] = int(raw) if raw and raw.isdigit() else raw or None
        else:
            answers[kind.value] = optional_bool(raw)
    return answers


def journey_url(household_id: int) -> str:
    return url_for("cases.journey", household_id=household_id)


@bp.app_context_processor
def case_journey_helper():
    """``case_journey(household)`` for the case page's journey sections (cut to the viewer's role)."""

    def case_journey(household):
        return cases.journey_summary(db.session, current_actor(), household)

    return {"case_journey": case_journey}


@bp.route("/<int:household_id>/journey")
@requires(Permission.CASE_READ)
def journey(household_id: int):
    household = cases.household_for(db.session, current_actor(), household_id, housing_options=True)
    from safehome.views.housing_options import SendForm
    from safehome.views.move_on import PlanForm
    from safehome.views.sanctuary import RequestForm

    return render_template("cases/journey.html", household=household,
                           journey=cases.journey_summary(db.session, current_actor(), household),
                           close_form=CloseForm(), reopen_form=ReopenForm(), outcome_form=OutcomeForm(),
                           sanctuary_form=RequestForm(), send_form=SendForm(), plan_form=PlanForm())


@bp.route("/<int:household_id>/close", methods=["POST"])
@requires(Permission.CASE_WRITE)
def close(household_id: int):
    form = CloseForm()
    return act(form, lambda: cases.close_case(db.session, current_actor(), household_id, form.reason.data,
                                              form.note.data), "The case is closed.", journey_url(household_id))


@bp.route("/<int:household_id>/reopen", methods=["POST"])
@requires(Permission.CASE_WRITE)
def reopen(household_id: int):
    form = ReopenForm()
    return act(form, lambda: cases.reopen_case(db.session, current_actor(), household_id, form.note.data),
               "The case is open again.", journey_url(household_id))


@bp.route("/<int:household_id>/outcomes", methods=["POST"])
@requires(Permission.CASE_WRITE)
def record_outcomes(household_id: int):
    form = OutcomeForm()
    return act(form, lambda: outcomes.record_outcomes(db.session, current_actor(), household_id, form.stage.data,
                                                      form.measured_on.data, outcome_answers(form)),
               "Outcome measures recorded.", journey_url(household_id))
