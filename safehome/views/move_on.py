"""Move-on: the work list, a plan's page (dates, blocking reasons, the move on), and the managers' timeliness view."""
from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from safehome.auth_session import current_actor
from safehome.codes import MoveOnBlocker, Tenure
from safehome.extensions import db
from safehome.permissions import Permission, requires
from safehome.services import move_on
from safehome.views.journey import YES_NO, act, choice, journey_url, optional_bool

bp = Blueprint("move_on", __name__, url_prefix="/move-on")


class PlanForm(FlaskForm):
    target_on = DateField("Target date to move on", validators=[Optional()])
    ready_on = DateField("Ready to move since", validators=[Optional()])


class BlockerForm(FlaskForm):
    reason = choice("What blocks the move", MoveOnBlocker.choices())
    detail = StringField("Detail", validators=[Optional(), Length(max=200)])
    since = DateField("Since", validators=[Optional()])


class ClearForm(FlaskForm):
    cleared_on = DateField("Cleared on", validators=[Optional()])


class MovedOnForm(FlaskForm):
    moved_on_on = DateField("Date moved on", validators=[Optional()])
    destination = StringField("Where to (the kind of place and area, never an address)",
                              validators=[Optional(), Length(max=200)])
    tenure_at_exit = choice("Tenure at exit", Tenure.choices())
    planned = choice("Was the move planned?", YES_NO, "(not asked)")
    note = TextAreaField("Note", validators=[Optional(), Length(max=2000)])


def _plan_url(plan_id: int) -> str:
    return url_for("move_on.detail", plan_id=plan_id)


@bp.route("/")
@requires(Permission.CASE_READ)
def index():
    work = move_on.work_list(db.session, current_actor())
    return render_template("move_on/index.html", work=work)


@bp.route("/timeliness")
@requires(Permission.REPORTS)
def timeliness():
    return render_template("move_on/timeliness.html", by_type=move_on.timeliness_by_unit_type(db.session),
                           late=move_on.over_target(db.session))


@bp.route("/households/<int:household_id>/plan", methods=["POST"])
@requires(Permission.MOVE_ON_WRITE)
def create(household_id: int):
    form = PlanForm()
    return act(form, lambda: move_on.create_plan(db.session, current_actor(), household_id, form.target_on.data,
                                                 form.ready_on.data),
               "Move-on plan made.", journey_url(household_id))


@bp.route("/<int:plan_id>")
@requires(Permission.CASE_READ)
def detail(plan_id: int):
    plan = move_on.get_plan(db.session, current_actor(), plan_id)
    return render_template("move_on/detail.html", plan=plan,
                           plan_form=PlanForm(target_on=plan.target_on, ready_on=plan.ready_on),
                           blocker_form=BlockerForm(), clear_form=ClearForm(), moved_on_form=MovedOnForm())


@bp.route("/<int:plan_id>/dates", methods=["POST"])
@requires(Permission.MOVE_ON_WRITE)
def dates(plan_id: int):
    form = PlanForm()
    return act(form, lambda: move_on.update_plan(db.session, current_actor(), plan_id,
                                                 target_on=form.target_on.data, ready_on=form.ready_on.data),
               "Move-on plan updated.", _plan_url(plan_id))


@bp.route("/<int:plan_id>/blockers", methods=["POST"])
@requires(Permission.MOVE_ON_WRITE)
def add_blocker(plan_id: int):
    form = BlockerForm()
    return act(form, lambda: move_on.add_blocker(db.session, current_actor(), plan_id, form.reason.data,
                                                 form.since.data, form.detail.data),
               "Blocking reason added.", _plan_url(plan_id))


@bp.route("/<int:plan_id>/blockers/<int:block_id>/clear", methods=["POST"])
@requires(Permission.MOVE_ON_WRITE)
def clear_blocker(plan_id: int, block_id: int):
    form = ClearForm()
    return act(form, lambda: move_on.clear_blocker(db.session, current_actor(), block_id, form.cleared_on.data,
                                                   plan_id=plan_id),
               "Blocking reason cleared.", _plan_url(plan_id))


@bp.route("/<int:plan_id>/moved-on", methods=["POST"])
@requires(Permission.MOVE_ON_WRITE)
def moved_on(plan_id: int):
    form = MovedOnForm()
    return act(form, lambda: move_on.record_moved_on(
        db.session, current_actor(), plan_id, moved_on_on=form.moved_on_on.data, destination=form.destination.data,
        tenure_at_exit=form.tenure_at_exit.data, planned=optional_bool(form.planned.data), note=form.note.data),
        "Moved on: the stay is closed.", _plan_url(plan_id))
