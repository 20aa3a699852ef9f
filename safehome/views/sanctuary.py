"""Sanctuary installs: the work list, one install's page, and its steps and works."""
from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, StringField
from wtforms.validators import DataRequired, Length, Optional

from safehome.auth_session import current_actor
from safehome.codes import ConsentFrom, SanctuaryWorkKind, Surveyor
from safehome.extensions import db
from safehome.permissions import Permission, requires
from safehome.services import sanctuary
from safehome.views.journey import YES_NO, act, choice, journey_url, optional_bool

bp = Blueprint("sanctuary", __name__, url_prefix="/sanctuary")


class RequestForm(FlaskForm):
    requested_on = DateField("Date requested", validators=[Optional()])


class StepForm(FlaskForm):
    """Every step's facts; the page shows each step only the fields it needs, the service checks them."""

    to = HiddenField("Step", validators=[DataRequired()])
    on = DateField("Date", validators=[Optional()])
    consent_from = choice("Consent given by", ConsentFrom.choices())
    surveyed_by = choice("Surveyed by", Surveyor.choices())
    fire_checked_by = StringField("Fire service station or officer", validators=[Optional(), Length(max=120)])
    equipment_working = choice("Is the equipment working?", YES_NO, "(not asked)")
    equipment_removed = BooleanField("The equipment has been removed")

    def step_data(self) -> dict:
        return {"on": self.on.data, "consent_from": self.consent_from.data, "surveyed_by": self.surveyed_by.data,
                "fire_checked_by": self.fire_checked_by.data,
                "equipment_working": optional_bool(self.equipment_working.data),
                "equipment_removed": bool(self.equipment_removed.data)}


class WorkForm(FlaskForm):
    kind = choice("Work", SanctuaryWorkKind.choices())
    contractor = StringField("Contractor", validators=[Optional(), Length(max=120)])
    ordered_on = DateField("Ordered on", validators=[Optional()])
    fitted_on = DateField("Fitted on", validators=[Optional()])
    cost = StringField("Cost (£)", validators=[Optional(), Length(max=20)])


def _install_url(install_id: int) -> str:
    return url_for("sanctuary.detail", install_id=install_id)


@bp.route("/")
@requires(Permission.CASE_READ)
def index():
    every = request.args.get("show") == "all"
    work = sanctuary.work_list(db.session, current_actor(), length=None if every else sanctuary.WORK_LIST_LENGTH)
    return render_template("sanctuary/index.html", work=work)


@bp.route("/households/<int:household_id>/request", methods=["POST"])
@requires(Permission.SANCTUARY_WRITE)
def request_install(household_id: int):
    form = RequestForm()
    return act(form, lambda: sanctuary.request_install(db.session, current_actor(), household_id,
                                                       form.requested_on.data),
               "Sanctuary install requested.", journey_url(household_id))


@bp.route("/<int:install_id>")
@requires(Permission.CASE_READ)
def detail(install_id: int):
    install = sanctuary.get_install(db.session, current_actor(), install_id)
    next_steps = [s for s in sanctuary.S if s in sanctuary.TRANSITIONS[install.state]]
    return render_template("sanctuary/detail.html", install=install, next_steps=next_steps,
                           step_form=StepForm(), work_form=WorkForm(),
                           works_open=install.state in sanctuary.WORKS_OPEN_STATES)


@bp.route("/<int:install_id>/step", methods=["POST"])
@requires(Permission.SANCTUARY_WRITE)
def step(install_id: int):
    form = StepForm()
    return act(form, lambda: sanctuary.advance(db.session, current_actor(), install_id, form.to.data,
                                               form.step_data()),
               "Sanctuary install updated.", _install_url(install_id))


@bp.route("/<int:install_id>/works", methods=["POST"])
@requires(Permission.SANCTUARY_WRITE)
def add_work(install_id: int):
    form = WorkForm()
    return act(form, lambda: sanctuary.add_work(
        db.session, current_actor(), install_id, kind=form.kind.data, contractor=form.contractor.data,
        ordered_on=form.ordered_on.data, fitted_on=form.fitted_on.data, cost=form.cost.data or None),
        "Item of work added.", _install_url(install_id))
