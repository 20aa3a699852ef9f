"""Housing Options: sending a case, the officers' queue, one request's page, answers and decisions."""
from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from safehome.auth_session import current_actor
from safehome.codes import HousingDuty, HousingOptionsKind, HousingOptionsState, OtherHousingSolution
from safehome.extensions import db
from safehome.permissions import Permission, requires
from safehome.services import housing_options
from safehome.views.account import EmptyForm
from safehome.views.common import page_field
from safehome.views.journey import act, choice, journey_url

bp = Blueprint("housing_options", __name__, url_prefix="/housing-options")


class QueueForm(FlaskForm):
    class Meta:
        csrf = False

    page = page_field()


class SendForm(FlaskForm):
    kind = choice("Send for", HousingOptionsKind.choices())
    other_solution = choice("Which other housing solution", OtherHousingSolution.choices())
    other_detail = StringField("Other housing solution: in your words", validators=[Optional(), Length(max=200)])
    note = TextAreaField("Note for Housing Options", validators=[Optional(), Length(max=2000)])


class AnswerForm(FlaskForm):
    outcome = choice("Answer", [("confirmed", "Confirm"), ("refused", "Refuse")])
    other_solution = choice("Other housing solution secured", OtherHousingSolution.choices(), blank="(as asked for)")
    on = DateField("Date of the answer", validators=[Optional()])
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=2000)])


class DecisionForm(FlaskForm):
    decision = choice("Decision", HousingDuty.choices())
    decided_on = DateField("Date decided", validators=[Optional()])
    note = TextAreaField("Note", validators=[Optional(), Length(max=2000)])


def _request_url(request_id: int) -> str:
    return url_for("housing_options.detail", request_id=request_id)


@bp.route("/")
@requires(Permission.HO_DECIDE)
def queue():
    form = QueueForm(request.args)
    show = request.args.get("show", "waiting")
    state = None if show == "all" else HousingOptionsState.REQUESTED
    if not form.validate():
        return render_template("housing_options/queue.html", form=form, requests=None, show=show), 422
    requests = housing_options.queue_lines(db.session, current_actor(), state, page=form.page.data or 1)
    return render_template("housing_options/queue.html", form=form, requests=requests, show=show)


@bp.route("/households/<int:household_id>/send", methods=["POST"])
@requires(Permission.HO_REQUEST)
def send(household_id: int):
    form = SendForm()
    return act(form, lambda: housing_options.send_request(db.session, current_actor(), household_id,
                                                          form.kind.data, form.other_solution.data,
                                                          form.other_detail.data, form.note.data),
               "The case is sent to Housing Options.", journey_url(household_id))


@bp.route("/<int:request_id>")
@requires(Permission.CASE_READ)
def detail(request_id: int):
    ho_request = housing_options.view_request(db.session, current_actor(), request_id)
    return render_template("housing_options/detail.html", ho_request=ho_request,
                           days_to_answer=housing_options.days_to_answer(ho_request),
                           days_waiting=housing_options.days_waiting(ho_request),
                           answer_form=AnswerForm(), decision_form=DecisionForm(), withdraw_form=EmptyForm())


@bp.route("/<int:request_id>/answer", methods=["POST"])
@requires(Permission.HO_DECIDE)
def answer(request_id: int):
    form = AnswerForm()
    return act(form, lambda: housing_options.answer(db.session, current_actor(), request_id, form.outcome.data,
                                                    form.on.data, form.reason.data,
                                                    other_solution=form.other_solution.data),
               "Answer recorded.", _request_url(request_id))


@bp.route("/<int:request_id>/decisions", methods=["POST"])
@requires(Permission.HO_DECIDE)
def decide(request_id: int):
    form = DecisionForm()
    return act(form, lambda: housing_options.record_decision(db.session, current_actor(), request_id,
                                                             form.decision.data, form.decided_on.data,
                                                             form.note.data),
               "Decision recorded.", _request_url(request_id))


@bp.route("/<int:request_id>/withdraw", methods=["POST"])
@requires(Permission.HO_REQUEST)
def withdraw(request_id: int):
    return act(EmptyForm(), lambda: housing_options.withdraw(db.session, current_actor(), request_id),
               "The request is withdrawn.", _request_url(request_id))
