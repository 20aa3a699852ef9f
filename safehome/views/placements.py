"""Placement pages: suggestions, offers, decisions, moving in and out, the batch match, work lists.

Addresses never show here: a suggestion links to the unit's own "show address"
(an audited POST on the unit page) for roles with ADDRESS_VIEW.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import (DateField, HiddenField, IntegerField, SelectField, SelectMultipleField, StringField, SubmitField,
                     TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from safehome.auth_session import current_actor
from safehome.codes import DecisionBy, DeclineReason, PlacementSource, Tenure
from safehome.errors import ValidationError
from safehome.extensions import db
from safehome.permissions import Permission, requires
from safehome.services import access, placements, worklists
from safehome.views.account import EmptyForm
from safehome.views.common import form_errors_from, select_choices

bp = Blueprint("placements", __name__)


class OfferForm(FlaskForm):
    unit_id = IntegerField("Unit number", validators=[InputRequired()])
    source = HiddenField(default=PlacementSource.HAND.value)


class OverrideOfferForm(FlaskForm):
    unit_id = IntegerField("Unit number", validators=[InputRequired()])
    override_reason = TextAreaField("Reason for the override", validators=[DataRequired(), Length(max=2000)])


class NoteForm(FlaskForm):
    note = TextAreaField("Note (optional)", validators=[Optional(), Length(max=2000)])


class DeclineForm(FlaskForm):
    reason = SelectField("Reason", choices=select_choices([("", "(choose)"), *DeclineReason.choices()]),
                         validate_choice=False)
    decision_by = SelectField("Whose decision", choices=select_choices([("", "(choose)"), *DecisionBy.choices()]),
                              validate_choice=False)
    note = TextAreaField("Note (required for other)", validators=[Optional(), Length(max=2000)])


class MoveInForm(FlaskForm):
    moved_in_on = DateField("Date moved in", validators=[InputRequired()])
    note = TextAreaField("Note (optional)", validators=[Optional(), Length(max=2000)])


class MoveOutForm(FlaskForm):
    moved_out_on = DateField("Date moved out", validators=[InputRequired()])
    planned = SelectField("Planned move?",
                          choices=select_choices([("", "(choose)"), ("yes", "Planned"), ("no", "Not planned")]),
                          validate_choice=False)
    exit_tenure = SelectField("Tenure at exit", choices=select_choices([("", "(choose)"), *Tenure.choices()]),
                              validate_choice=False)
    destination = StringField("Where to (the kind of place, not the address)", validators=[Optional(), Length(max=200)])
    note = TextAreaField("Note (optional)", validators=[Optional(), Length(max=2000)])


class ApproveForm(FlaskForm):
    household_ids = SelectMultipleField("Proposals to approve", coerce=int, validate_choice=False)
    request_ids = SelectMultipleField("Perpetrator requests to match", coerce=int, validate_choice=False)
    approve_all = SubmitField("Approve all and send the offers")
    approve_selected = SubmitField("Approve the ticked proposals")


def _hold_hours() -> int:
    return int(current_app.config["OFFER_HOLD_HOURS"])


# The household's placements, suggestions and offers ------------------------------------------------

def _household_page(household_id: int, *, offer_form=None, override_form=None, status: int = 200):
    actor = current_actor()
    household = access.get_household_for(db.session, actor.user, household_id)
    return render_template(
        "placements/household.html", household=household,
        placements=placements.placements_of_household(db.session, actor, household.id),
        story=placements.life_story(db.session, actor, household.id),
        offer_form=offer_form or OfferForm(), override_form=override_form or OverrideOfferForm()), status


@bp.route("/households/<int:household_id>/placements")
@requires(Permission.CASE_READ)
def household(household_id: int):
    return _household_page(household_id)


@bp.route("/households/<int:household_id>/suggestions")
@requires(Permission.MATCH_SUGGEST)
def suggestions(household_id: int):
    answer = placements.suggest_for(db.session, current_actor(), household_id)
    return render_template("placements/suggestions.html", household=answer.household, answer=answer.suggestions,
                           offer_form=OfferForm(source=PlacementSource.SUGGESTION.value), address_form=EmptyForm())


@bp.route("/households/<int:household_id>/offers", methods=["POST"])
@requires(Permission.PLACEMENT_WRITE)
def make_offer(household_id: int):
    form = OfferForm()
    if form.validate_on_submit():
        source = form.source.data if form.source.data in PlacementSource.codes() else PlacementSource.HAND.value
        try:
            placement = placements.make_offer(db.session, current_actor(), household_id, form.unit_id.data,
                                              source=PlacementSource(source), hold_hours=_hold_hours())
            return redirect(url_for("placements.detail", placement_id=placement.id))
        except ValidationError as exc:
            form_errors_from(form, exc)
    return _household_page(household_id, offer_form=form, status=422)


@bp.route("/households/<int:household_id>/offers/override", methods=["POST"])
@requires(Permission.PLACEMENT_OVERRIDE)
def override_offer(household_id: int):
    form = OverrideOfferForm()
    if form.validate_on_submit():
        try:
            placement = placements.make_offer(db.session, current_actor(), household_id, form.unit_id.data,
                                              override_reason=form.override_reason.data, hold_hours=_hold_hours())
            return redirect(url_for("placements.detail", placement_id=placement.id))
        except ValidationError as exc:
            form_errors_from(form, exc)
    return _household_page(household_id, override_form=form, status=422)


# One placement: decisions, moving in and out -------------------------------------------------------

def _placement_page(placement_id: int, status: int = 200, **forms):
    placement = placements.view_placement(db.session, current_actor(), placement_id)
    forms = {"accept_form": NoteForm(prefix="accept"), "withdraw_form": NoteForm(prefix="withdraw"),
             "decline_form": DeclineForm(), "move_in_form": MoveInForm(), "move_out_form": MoveOutForm(), **forms}
    return render_template("placements/placement.html", placement=placement,
                           allowed=placements.TRANSITIONS[placement.state], **forms), status


@bp.route("/placements/<int:placement_id>")
@requires(Permission.CASE_READ)
def detail(placement_id: int):
    return _placement_page(placement_id)


def _decide(placement_id: int, form, form_name: str, change):
    if form.validate_on_submit():
        try:
            change(form)
            return redirect(url_for("placements.detail", placement_id=placement_id))
        except ValidationError as exc:
            form_errors_from(form, exc)
    return _placement_page(placement_id, 422, **{form_name: form})


@bp.route("/placements/<int:placement_id>/accept", methods=["POST"])
@requires(Permission.PLACEMENT_WRITE)
def accept(placement_id: int):
    return _decide(placement_id, NoteForm(prefix="accept"), "accept_form", lambda f: placements.accept(
        db.session, current_actor(), placement_id, f.note.data))


@bp.route("/placements/<int:placement_id>/withdraw", methods=["POST"])
@requires(Permission.PLACEMENT_WRITE)
def withdraw(placement_id: int):
    return _decide(placement_id, NoteForm(prefix="withdraw"), "withdraw_form", lambda f: placements.withdraw(
        db.session, current_actor(), placement_id, f.note.data))


@bp.route("/placements/<int:placement_id>/decline", methods=["POST"])
@requires(Permission.PLACEMENT_WRITE)
def decline(placement_id: int):
    return _decide(placement_id, DeclineForm(), "decline_form", lambda f: placements.decline(
        db.session, current_actor(), placement_id, reason=f.reason.data or None,
        decision_by=f.decision_by.data or None, note=f.note.data))


@bp.route("/placements/<int:placement_id>/move-in", methods=["POST"])
@requires(Permission.PLACEMENT_WRITE)
def move_in(placement_id: int):
    return _decide(placement_id, MoveInForm(), "move_in_form", lambda f: placements.move_in(
        db.session, current_actor(), placement_id, f.moved_in_on.data, f.note.data))


@bp.route("/placements/<int:placement_id>/move-out", methods=["POST"])
@requires(Permission.PLACEMENT_WRITE)
def move_out(placement_id: int):
    return _decide(placement_id, MoveOutForm(), "move_out_form", lambda f: placements.move_out(
        db.session, current_actor(), placement_id, moved_out_on=f.moved_out_on.data,
        planned={"yes": True, "no": False}.get(f.planned.data), exit_tenure=f.exit_tenure.data or None,
        destination=f.destination.data, note=f.note.data))


@bp.route("/units/<int:unit_id>/occupancy")
@requires(Permission.UNIT_READ)
def occupancy(unit_id: int):
    return render_template("placements/occupancy.html",
                           occupancy=placements.unit_occupancy(db.session, current_actor(), unit_id))


@bp.route("/placements/work")
@requires(Permission.PLACEMENT_WRITE)
def work():
    return render_template("placements/work.html", lists=worklists.work_lists(db.session, current_actor()))


# The batch match -----------------------------------------------------------------------------------

@bp.route("/matching/batch")
@requires(Permission.MATCH_BATCH)
def batch_index():
    return render_template("placements/batch_index.html", runs=placements.list_runs(db.session),
                           start_form=EmptyForm())


@bp.route("/matching/batch", methods=["POST"])
@requires(Permission.MATCH_BATCH)
def batch_start():
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("placements.batch_index"))
    run = placements.start_batch(db.session, current_actor())
    placements.launch_batch(current_app._get_current_object(), db.session, run.id,
                            time_limit=float(current_app.config["MATCH_TIME_LIMIT"]),
                            inline=bool(current_app.config.get("MATCH_RUN_INLINE", False)))
    return redirect(url_for("placements.batch_run", run_id=run.id))


@bp.route("/matching/batch/<int:run_id>")
@requires(Permission.MATCH_BATCH)
def batch_run(run_id: int):
    review = placements.review_run(db.session, run_id)
    return render_template("placements/batch_run.html", review=review, run=review.run, approve_form=ApproveForm())


@bp.route("/matching/batch/<int:run_id>/status")
@requires(Permission.MATCH_BATCH)
def batch_status(run_id: int):
    run = placements.get_run(db.session, run_id)
    return jsonify({"id": run.id, "status": run.status.value, "label": run.status.label,
                    "finished": run.finished_at is not None})


@bp.route("/matching/batch/<int:run_id>/approve", methods=["POST"])
@requires(Permission.MATCH_BATCH)
def batch_approve(run_id: int):
    form = ApproveForm()
    if not form.validate_on_submit():
        return redirect(url_for("placements.batch_run", run_id=run_id))
    chosen = (None, None) if form.approve_all.data else (list(form.household_ids.data or []),
                                                          list(form.request_ids.data or []))
    approval = placements.approve_batch(db.session, current_actor(), run_id, *chosen, hold_hours=_hold_hours())
    review = placements.review_run(db.session, run_id)
    return render_template("placements/batch_run.html", review=review, run=review.run, approve_form=ApproveForm(),
                           approval=approval)
