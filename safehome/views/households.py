"""Case pages: the case list, the referral form, the case page, editing, the assessment, the address.

The forms check types only (a date is a date, a number a number); the rules
are the services' (``services/households.py``, ``services/referrals.py``),
whose problems name paths such as ``members/1/birth_date``. ``_show_problems``
puts each at its field, so every mistake is shown where it was made.
"""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FieldList,
    FloatField,
    Form,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional

from safehome import UK_TIME
from safehome.auth_session import current_actor
from safehome.codes import (
    EQUALITY_ANSWERS,
    PREFER_NOT_TO_SAY,
    AssessmentAnswer,
    CaseStatus,
    EqualityField,
    Feature,
    Gender,
    HousingOption,
    Language,
    Pet,
    ReferralSource,
    Risk,
    Tenure,
    UnitType,
)
from safehome.errors import FieldProblem, ValidationError
from safehome.extensions import db
from safehome.permissions import Permission, requires
from safehome.services import access, households, referrals
from safehome.services.households import HOUSEHOLD_UNIT_TYPES
from safehome.views.common import CheckboxesField, select_choices

bp = Blueprint("households", __name__, url_prefix="/households")



def _choose(pairs, blank: str = "Choose…"):
    return select_choices([("", blank), *pairs])


class MemberForm(Form):
    name = StringField("Name (optional)")
    birth_date = DateField("Date of birth", validators=[Optional()])
    gender = SelectField("Gender", choices=_choose(Gender.choices()), validate_choice=False)


class AddressForm(Form):
    line1 = StringField("Address line 1")
    line2 = StringField("Address line 2")
    town = StringField("Town")
    postcode = StringField("Postcode")


class AvoidForm(Form):
    label = StringField("What is it (e.g. perpetrator's home, workplace)")
    postcode = StringField("Postcode")
    lat = FloatField("or latitude", validators=[Optional()])
    lon = FloatField("and longitude", validators=[Optional()])
    km = FloatField("Keep at least this far away (km)", validators=[Optional()])


class PreferForm(AvoidForm):
    label = StringField("What is it (e.g. children's school, work, support network)")
    km = FloatField("Within (km)", validators=[Optional()])
    weight = IntegerField("Importance (1-5)", default=households.DEFAULT_WEIGHT, validators=[Optional()])
    known_to_perpetrator = BooleanField("The perpetrator knows this place")


EqualityForm = type("EqualityForm", (Form,), {
    key: SelectField(EqualityField(key).label, validate_choice=False,
                     choices=_choose([*answers, (PREFER_NOT_TO_SAY, "Prefer not to say")], "Not given"))
    for key, answers in EQUALITY_ANSWERS.items()
})


class HouseholdForm(FlaskForm):
    """A household's details (the referral form adds the referral's own fields)."""

    members = FieldList(FormField(MemberForm), label="Person", min_entries=1)
    dash_score = IntegerField("DASH score (0-24)", validators=[Optional()])
    marac = BooleanField("Referred to MARAC")
    pets = CheckboxesField("Pets", choices=select_choices(Pet.choices()), validate_choice=False)
    needs = CheckboxesField("Needs", choices=select_choices(Feature.choices()), validate_choice=False)
    languages = CheckboxesField("Languages spoken", choices=select_choices(Language.choices()),
                                validate_choice=False)
    interpreter = BooleanField("Needs an interpreter")
    address = FormField(AddressForm, label="Current address")
    home_known_to_perpetrator = BooleanField("The perpetrator knows this home (they shared it or left it)",
                                             default=True)
    tenure_at_entry = SelectField("Tenure at entry", choices=_choose(Tenure.choices()), validate_choice=False)
    avoid = FieldList(FormField(AvoidForm), label="Place to avoid", min_entries=1)
    excluded_area_ids = SelectMultipleField("Areas to exclude", coerce=int, choices=[], validate_choice=False)
    prefer = FieldList(FormField(PreferForm), label="Place to stay near", min_entries=1)
    unit_types = CheckboxesField("Acceptable types of accommodation (none ticked: any)",
                                 choices=select_choices([(t.value, t.label) for t in UnitType
                                                         if t.value in HOUSEHOLD_UNIT_TYPES]),
                                 validate_choice=False)
    consent_to_share = BooleanField("Consents to information being shared with partner services")
    equality = FormField(EqualityForm, label="Equality monitoring")


class ReferralForm(HouseholdForm):
    reference = StringField("Reference from the referring service")
    source = SelectField("Referred by", choices=_choose(ReferralSource.choices()), validate_choice=False)
    received_at = DateTimeLocalField("Received", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    referrer_agency = StringField("Referring agency or worker (optional)")
    referrer_contact = StringField("Their contact details (optional)")


class AssessmentForm(FlaskForm):
    safe_to_stay = SelectField("Is it safe for the household to stay at home?",
                               choices=_choose(AssessmentAnswer.choices()), validate_choice=False)
    perpetrator_lives_there = SelectField("Does the perpetrator live there?",
                                          choices=_choose(AssessmentAnswer.choices()), validate_choice=False)
    sanctuary_suitable = SelectField("Is a sanctuary install suitable?",
                                     choices=_choose(AssessmentAnswer.choices()), validate_choice=False)
    perpetrator_would_leave = SelectField("Would the perpetrator leave?",
                                          choices=_choose(AssessmentAnswer.choices()), validate_choice=False)
    options_considered = CheckboxesField("Options considered", choices=select_choices(HousingOption.choices()),
                                         validate_choice=False)
    notes = TextAreaField("Notes")


class CaseFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter: changes nothing

    reference = StringField("Reference")
    risk = SelectField("Risk", choices=_choose(Risk.choices(), "Any"), validate_choice=False)
    status = SelectField("Status", choices=_choose(CaseStatus.choices(), "Any"), validate_choice=False)
    repeat = SelectField("Repeat referral", choices=_choose([("yes", "Repeat"), ("no", "Not a repeat")], "Any"),
                         validate_choice=False)
    mine = BooleanField("My cases only")
    page = IntegerField("Page", default=1, validators=[Optional()])


# Form data to the services' shape, and the services' problems back to the form ---------------

_ROW_KEYS = {"members": ("name", "birth_date", "gender"), "avoid": ("label", "postcode", "lat", "lon", "km"),
             "prefer": ("label", "postcode", "lat", "lon", "km", "weight", "known_to_perpetrator")}
_ROW_SETTINGS = ("weight", "known_to_perpetrator")  # always set, so they do not make a row filled in


def _rows(form: HouseholdForm, name: str) -> tuple[list[dict], list[int]]:
    """The filled-in rows of a repeating section, and for each the row number it has on the form."""
    rows, kept = [], []
    for index, entry in enumerate(form[name].entries):
        values = {key: entry.form[key].data for key in _ROW_KEYS[name]}
        if any(value not in (None, "") for key, value in values.items() if key not in _ROW_SETTINGS):
            rows.append(values)
            kept.append(index)
    return rows, kept


def _details(form: HouseholdForm) -> tuple[dict, dict[str, list[int]]]:
    """The household's details from the form, and where each kept row sits on the form."""
    data, positions = {}, {}
    for name in _ROW_KEYS:
        data[name], positions[name] = _rows(form, name)
    data.update({
        "dash_score": form.dash_score.data, "marac": form.marac.data, "pets": form.pets.data or [],
        "needs": form.needs.data or [], "languages": form.languages.data or [],
        "interpreter": form.interpreter.data, "address": form.address.data,
        "home_known_to_perpetrator": form.home_known_to_perpetrator.data,
        "tenure_at_entry": form.tenure_at_entry.data, "excluded_area_ids": form.excluded_area_ids.data or [],
        "unit_types": form.unit_types.data or [], "consent_to_share": form.consent_to_share.data,
        "equality": {key: value for key, value in form.equality.data.items() if value},
    })
    return data, positions


def _referral_data(form: ReferralForm) -> tuple[dict, dict[str, list[int]]]:
    data, positions = _details(form)
    received = form.received_at.data
    data.update({"reference": form.reference.data, "source": form.source.data,
                 "received_at": received.replace(tzinfo=UK_TIME) if received else None,
                 "referrer_agency": form.referrer_agency.data, "referrer_contact": form.referrer_contact.data})
    return data, positions


def _field_at(form, path: str, positions: dict[str, list[int]]):
    """The form field a service's problem path names (as deep as the form goes), or None."""
    parts = path.split("/")
    field = form._fields.get(parts[0])
    for part in parts[1:]:
        if isinstance(field, FieldList) and part.isdigit() and int(part) < len(positions.get(parts[0], [])):
            field = field.entries[positions[parts[0]][int(part)]]
        elif isinstance(field, FormField) and part in field.form._fields:
            field = field.form._fields[part]
        else:
            break
    return field


def _leaves(form):
    """(field, summary label) for every plain field of a form, rows and sub-forms included, in order."""
    for field in form:
        if isinstance(field, FieldList):
            for number, entry in enumerate(field.entries, start=1):
                yield from ((sub, f"{field.label.text} {number}: {sub.label.text}") for sub in entry.form)
        elif isinstance(field, FormField):
            yield from ((sub, f"{field.label.text}: {sub.label.text}") for sub in field.form)
        elif field.name != "csrf_token":
            yield field, field.label.text


def _show_problems(form, problems: list[FieldProblem], positions: dict[str, list[int]]) -> dict[str, list[str]]:
    """Undo the failed change and put each problem at its field; returns the problems of whole sections.

    A field the form already marked (a date that is not a date) keeps its own message alone.
    """
    db.session.rollback()
    marked = {id(field) for field, _ in _leaves(form) if field.errors}
    sections: dict[str, list[str]] = {}
    for problem in problems:
        field = _field_at(form, problem.field, positions)
        if field is None or isinstance(field, (FieldList, FormField)):
            sections.setdefault(problem.field.split("/")[0], []).append(problem.message)
        elif id(field) not in marked:
            field.errors = [*field.errors, problem.message]
    return sections


def _flat_errors(form, sections: dict[str, list[str]]) -> list[tuple[str, str, str]]:
    """(field id, label, message) for the error summary, in the order of the form."""
    found = [(field.id, label, "; ".join(field.errors)) for field, label in _leaves(form) if field.errors]
    labels = {name: field.label.text for name, field in form._fields.items()}
    found += [(f"section-{name}", labels.get(name, name), "; ".join(messages)) for name, messages in sections.items()]
    return found


def _geocoder() -> str:
    return current_app.config["GEOCODER"]


def _render_form(template: str, form, sections: dict | None = None, status: int = 200, **context):
    sections = sections or {}
    return render_template(template, form=form, sections=sections, mistakes=_flat_errors(form, sections),
                           **context), status


@bp.context_processor
def _helpers():
    def equality_label(key: str, answer: str) -> str:
        return dict([*EQUALITY_ANSWERS.get(key, []), (PREFER_NOT_TO_SAY, "Prefer not to say")]).get(answer, answer)

    return {"equality_label": equality_label, "today": households.today_uk()}


# Pages ------------------------------------------------------------------------------------------

@bp.route("/")
@requires(Permission.CASE_READ)
def index():
    form = CaseFilterForm(request.args)
    repeat = {"yes": True, "no": False}.get(form.repeat.data)
    page = None
    if form.validate():
        try:
            page = households.list_cases(db.session, current_user, reference=form.reference.data or None,
                                         risk=form.risk.data or None, status=form.status.data or None,
                                         repeat=repeat, mine=form.mine.data, page=form.page.data or 1)
        except ValidationError as exc:
            _show_problems(form, exc.problems, {})
    return render_template("households/index.html", form=form, page=page,
                           fields=households.visible_fields(current_user.role)), 200 if page else 422


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.CASE_WRITE)
def new():
    form = ReferralForm()
    form.excluded_area_ids.choices = households.area_choices(db.session)
    if not form.is_submitted():
        form.received_at.data = datetime.now(UK_TIME).replace(second=0, microsecond=0, tzinfo=None)
        return _render_form("households/new.html", form)
    data, positions = _referral_data(form)
    if form.validate():
        try:
            intake = referrals.take_referral(db.session, current_actor(), data, geocoder=_geocoder())
        except ValidationError as exc:
            return _render_form("households/new.html", form, _show_problems(form, exc.problems, positions), 422)
        flash(_intake_message(intake), "info")
        return redirect(url_for("households.detail", household_id=intake.household.id))
    problems = referrals.referral_problems(db.session, data, geocoder=_geocoder())
    return _render_form("households/new.html", form, _show_problems(form, problems, positions), 422)


def _intake_message(intake: referrals.Intake) -> str:
    done = "The referral joined the open case of this reference." if intake.joined else "The referral opened a new case."
    return done + (" It is a repeat referral (same reference within 12 months)." if intake.referral.is_repeat else "")


@bp.route("/history")
@requires(Permission.CASE_WRITE)
def history():
    """A fragment for the referral form: the earlier cases of the reference being typed."""
    reference = request.args.get("reference", "")
    return render_template("households/_history.html", cases=referrals.history(db.session, current_user, reference))


@bp.route("/<int:household_id>")
@requires(Permission.CASE_READ)
def detail(household_id: int):
    view = households.case_page(db.session, current_actor(), household_id)
    return render_template("households/detail.html", view=view, household=view.household, fields=view.fields)


@bp.route("/<int:household_id>/places")
@requires(Permission.ADDRESS_VIEW)
def places(household_id: int):
    household, opened = households.reveal_places(db.session, current_actor(), household_id)
    return render_template("households/places.html", household=household, places=opened)


@bp.route("/<int:household_id>/edit", methods=["GET", "POST"])
@requires(Permission.CASE_WRITE)
def edit(household_id: int):
    if request.method == "GET":
        household, details = households.details_for_edit(db.session, current_actor(), household_id)
        form = HouseholdForm(formdata=None, data=_form_data(details))
        form.excluded_area_ids.choices = households.area_choices(db.session)
        return _render_form("households/edit.html", form, household_id=household_id, reference=household.reference)
    form = HouseholdForm()
    form.excluded_area_ids.choices = households.area_choices(db.session)
    data, positions = _details(form)
    if form.validate():
        try:
            households.update_household(db.session, current_actor(), household_id, data, geocoder=_geocoder())
        except ValidationError as exc:
            return _render_form("households/edit.html", form, _show_problems(form, exc.problems, positions), 422,
                                household_id=household_id, reference=None)
        flash("The case is saved.", "info")
        return redirect(url_for("households.detail", household_id=household_id))
    return _render_form("households/edit.html", form, {}, 422, household_id=household_id, reference=None)


def _form_data(details: dict) -> dict:
    """Details as the edit form takes them: at least one (blank) row in each repeating section."""
    return {**details, "address": details["address"] or {},
            **{name: details[name] or [{}] for name in ("members", "avoid", "prefer")}}


@bp.route("/<int:household_id>/assessment", methods=["GET", "POST"])
@requires(Permission.CASE_WRITE)
def assessment(household_id: int):
    form = AssessmentForm()
    if not form.is_submitted():
        access.get_household_for(db.session, current_user, household_id)  # a case that is not there is a 404
        return _render_form("households/assessment.html", form, household_id=household_id)
    if form.validate():
        data = {key: form[key].data for key in (*households.ASSESSMENT_QUESTIONS, "options_considered", "notes")}
        try:
            households.record_assessment(db.session, current_actor(), household_id, data)
        except ValidationError as exc:
            return _render_form("households/assessment.html", form, _show_problems(form, exc.problems, {}), 422,
                                household_id=household_id)
        flash("The housing needs assessment is saved.", "info")
        return redirect(url_for("households.detail", household_id=household_id))
    return _render_form("households/assessment.html", form, {}, 422, household_id=household_id)
