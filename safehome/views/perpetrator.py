"""Perpetrator accommodation pages.

``/perpetrator/requests``: the perpetrator service's own requests (file, follow,
withdraw, record the client's acceptance, open the offered unit's address).
``/perpetrator/queue``: the housing side: the managers' queue (with the patterns to
review) and match page, the request as the housing side sees it, a manager's
"close", and the housing worker's "flag unsafe".
Templates for the perpetrator service are separate from the housing side's and
receive nothing about the victim.
"""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, FloatField, IntegerField, SelectField, SelectMultipleField, StringField,
                     TextAreaField)
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from safehome.auth_session import current_actor
from safehome.codes import Feature, Gender, Language, MappaLevel, PerpetratorStopReason, Pet
from safehome.errors import ValidationError
from safehome.extensions import db
from safehome.permissions import Permission, requires, user_can
from safehome.services import households, perpetrator
from safehome.views.account import EmptyForm
from safehome.views.common import form_errors_from, select_choices

bp = Blueprint("perpetrator", __name__, url_prefix="/perpetrator")


class CheckboxesField(SelectMultipleField):
    """A set of checkboxes; the codes are checked by the service."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        """The service names a wrong code at its field."""


class RequestForm(FlaskForm):
    victim_reference = StringField("The victim's reference code (shared across the services)",
                                   validators=[Length(max=40)])
    client_reference = StringField("Your own case number for the person (optional)", validators=[Length(max=40)])
    birth_date = DateField("Date of birth", validators=[Optional()])
    gender = SelectField("Gender", choices=select_choices([("", "Choose…"), *Gender.choices()]),
                         validate_choice=False)
    needs = CheckboxesField("Needs", choices=select_choices(Feature.choices()))
    pets = CheckboxesField("Pets", choices=select_choices(Pet.choices()))
    languages = CheckboxesField("Languages spoken", choices=select_choices(Language.choices()))
    marac = BooleanField("Discussed at MARAC (high risk)")
    under_probation = BooleanField("Under probation supervision")
    mappa_level = SelectField("MAPPA management", choices=select_choices(MappaLevel.choices()),
                              validate_choice=False)
    court_conditions = TextAreaField("Court conditions (bail, non-molestation or restraining order)",
                                     validators=[Length(max=4000)])
    excluded_area_ids = SelectMultipleField("Exclusion zones named by the court", coerce=int, validate_choice=False)
    needed_from = DateField("Accommodation needed from", validators=[Optional()])


class MatchForm(FlaskForm):
    unit_id = IntegerField("Unit number", validators=[InputRequired()])


class SafeDistanceForm(FlaskForm):
    safe_km = FloatField("Distance to keep from the victim's places (km)", validators=[InputRequired()])


class MoveInForm(FlaskForm):
    moved_in_on = DateField("Date moved in", validators=[InputRequired()])


class MoveOutForm(FlaskForm):
    moved_out_on = DateField("Date moved out", validators=[InputRequired()])
    note = TextAreaField("Note (optional)", validators=[Optional(), Length(max=2000)])


class FlagUnsafeForm(FlaskForm):
    reason = TextAreaField("Why it is unsafe (not shown to the perpetrator service)",
                           validators=[InputRequired(), Length(max=2000)])


class CloseForm(FlaskForm):
    reason = SelectField("Why the service closes it (not shown to the perpetrator service)",
                         choices=select_choices([("", "Choose…"), *PerpetratorStopReason.choices()]),
                         validate_choice=False)
    note = TextAreaField("Note (required for other; not shown to the perpetrator service)",
                         validators=[Optional(), Length(max=2000)])


@bp.app_template_global()
def perpetrator_requests_of_case(household_id: int) -> list:
    """For the victim's case page: the perpetrator requests linked to it (none for roles that may not see them)."""
    if not user_can(current_user, Permission.PERP_LINKED):
        return []
    return perpetrator.linked_to_case(db.session, current_actor(), household_id)


# The perpetrator service ------------------------------------------------------------------------

@bp.route("/requests")
@requires(Permission.PERP_REQUEST)
def index():
    return render_template("perpetrator/index.html", requests=perpetrator.own_requests(db.session, current_actor()))


def _request_data(form: RequestForm) -> dict:
    return {"victim_reference": form.victim_reference.data, "client_reference": form.client_reference.data,
            "birth_date": form.birth_date.data, "gender": form.gender.data or None, "needs": form.needs.data,
            "pets": form.pets.data, "languages": form.languages.data, "marac": form.marac.data,
            "under_probation": form.under_probation.data, "mappa_level": form.mappa_level.data,
            "court_conditions": form.court_conditions.data, "excluded_area_ids": form.excluded_area_ids.data,
            "needed_from": form.needed_from.data}


@bp.route("/requests/new", methods=["GET", "POST"])
@requires(Permission.PERP_REQUEST)
def new():
    form = RequestForm()
    form.excluded_area_ids.choices = select_choices(households.area_choices(db.session))
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            filed = perpetrator.file_request(db.session, current_actor(), _request_data(form),
                                             limits=perpetrator.FilingLimits.from_settings(current_app.config))
            flash("The request was filed. The Safe Home service will match it to a unit.", "info")
            return redirect(url_for("perpetrator.detail", request_id=filed.id))
        except (ValidationError, perpetrator.FilingLimitReached) as exc:
            form_errors_from(form, exc)
            status = exc.status
    return render_template("perpetrator/new.html", form=form), status


@bp.route("/requests/<int:request_id>")
@requires(Permission.PERP_REQUEST)
def detail(request_id: int):
    return render_template("perpetrator/detail.html", item=perpetrator.own_request(db.session, current_actor(),
                                                                                   request_id),
                           form=EmptyForm())


@bp.route("/requests/<int:request_id>/address")
@requires(Permission.PERP_REQUEST)
def address(request_id: int):
    item, opened = perpetrator.unit_address(db.session, current_actor(), request_id)
    return render_template("perpetrator/address.html", item=item, address=opened)


def _service_action(request_id: int, change):
    form = EmptyForm()
    if form.validate_on_submit():
        change()
    return redirect(url_for("perpetrator.detail", request_id=request_id))


@bp.route("/requests/<int:request_id>/withdraw", methods=["POST"])
@requires(Permission.PERP_REQUEST)
def withdraw(request_id: int):
    return _service_action(request_id, lambda: perpetrator.withdraw(db.session, current_actor(), request_id))


@bp.route("/requests/<int:request_id>/accept", methods=["POST"])
@requires(Permission.PERP_REQUEST)
def accept(request_id: int):
    return _service_action(request_id, lambda: perpetrator.accept(db.session, current_actor(), request_id))


# The housing side ---------------------------------------------------------------------------------

@bp.route("/queue")
@requires(Permission.MATCH_BATCH)
def queue():
    state = request.args.get("state") or None
    actor = current_actor()
    patterns = perpetrator.pattern_flags(db.session, actor)
    return render_template("perpetrator/queue.html", requests=perpetrator.queue(db.session, actor, state=state),
                           state=state, patterns=patterns, flagged={r.id for flag in patterns for r in flag.requests},
                           pattern_days=perpetrator.PATTERN_DAYS, pattern_withdrawals=perpetrator.PATTERN_WITHDRAWALS)


def _housing_page(request_id: int, status: int = 200, **forms):
    item = perpetrator.housing_view(db.session, current_actor(), request_id)
    forms = {"distance_form": SafeDistanceForm(safe_km=perpetrator.safe_km(item)), "flag_form": FlagUnsafeForm(),
             "close_form": CloseForm(), "move_in_form": MoveInForm(), "move_out_form": MoveOutForm(),
             "accept_form": EmptyForm(), **forms}
    return render_template("perpetrator/housing.html", item=item, allowed=perpetrator.TRANSITIONS[item.state],
                           default_km=perpetrator.DEFAULT_SAFE_KM, **forms), status


@bp.route("/queue/<int:request_id>")
@requires(Permission.PERP_LINKED)
def housing(request_id: int):
    return _housing_page(request_id)


def _housing_action(request_id: int, form, form_name: str, change):
    if form.validate_on_submit():
        try:
            change(form)
            return redirect(url_for("perpetrator.housing", request_id=request_id))
        except ValidationError as exc:
            form_errors_from(form, exc)
    return _housing_page(request_id, 422, **{form_name: form})


@bp.route("/queue/<int:request_id>/safe-distance", methods=["POST"])
@requires(Permission.PERP_LINKED)
def safe_distance(request_id: int):
    return _housing_action(request_id, SafeDistanceForm(), "distance_form", lambda f: perpetrator.set_safe_km(
        db.session, current_actor(), request_id, f.safe_km.data))


@bp.route("/queue/<int:request_id>/flag-unsafe", methods=["POST"])
@requires(Permission.PERP_LINKED)
def flag_unsafe(request_id: int):
    return _housing_action(request_id, FlagUnsafeForm(), "flag_form", lambda f: perpetrator.flag_unsafe(
        db.session, current_actor(), request_id, f.reason.data))


@bp.route("/queue/<int:request_id>/close", methods=["POST"])
@requires(Permission.MATCH_BATCH)
def close(request_id: int):
    return _housing_action(request_id, CloseForm(), "close_form", lambda f: perpetrator.close(
        db.session, current_actor(), request_id, f.reason.data or None, f.note.data))


@bp.route("/queue/<int:request_id>/accept", methods=["POST"])
@requires(Permission.MATCH_BATCH)
def housing_accept(request_id: int):
    return _housing_action(request_id, EmptyForm(), "accept_form", lambda f: perpetrator.accept(
        db.session, current_actor(), request_id))


@bp.route("/queue/<int:request_id>/move-in", methods=["POST"])
@requires(Permission.MATCH_BATCH)
def move_in(request_id: int):
    return _housing_action(request_id, MoveInForm(), "move_in_form", lambda f: perpetrator.move_in(
        db.session, current_actor(), request_id, f.moved_in_on.data))


@bp.route("/queue/<int:request_id>/move-out", methods=["POST"])
@requires(Permission.MATCH_BATCH)
def move_out(request_id: int):
    return _housing_action(request_id, MoveOutForm(), "move_out_form", lambda f: perpetrator.move_out(
        db.session, current_actor(), request_id, f.moved_out_on.data, note=f.note.data))


def _match_page(request_id: int, form: MatchForm | None = None, status: int = 200):
    answer = perpetrator.suggest_units(db.session, current_actor(), request_id)
    return render_template("perpetrator/match.html", item=answer.request, answer=answer.suggestions,
                           form=form or MatchForm()), status


@bp.route("/queue/<int:request_id>/match")
@requires(Permission.MATCH_BATCH)
def match_page(request_id: int):
    return _match_page(request_id)


@bp.route("/queue/<int:request_id>/match", methods=["POST"])
@requires(Permission.MATCH_BATCH)
def match(request_id: int):
    form = MatchForm()
    if form.validate_on_submit():
        try:
            perpetrator.match(db.session, current_actor(), request_id, form.unit_id.data)
            flash("The match is approved: the unit is offered.", "info")
            return redirect(url_for("perpetrator.housing", request_id=request_id))
        except ValidationError as exc:
            form_errors_from(form, exc)
    return _match_page(request_id, form, 422)
