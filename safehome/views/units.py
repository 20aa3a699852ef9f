"""The inventory pages: units, the vacancy board and map, providers and sites, status, CSV import and export.

A provider user sees only its own provider's records (others are 404) and
may change only status and the day a unit frees. Addresses and points are
shown only to roles with ADDRESS_VIEW, on an explicit "show address" (a POST,
because it writes an audit event), never on a list.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, DecimalField, FloatField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from safehome.auth_session import current_actor
from safehome.codes import Feature, Gender, Language, Pet, SiteKind, UnitStatus, UnitType
from safehome.errors import Conflict, ValidationError
from safehome.extensions import db
from safehome.permissions import Permission, requires
from safehome.schemas.inventory import board_filters
from safehome.services import inventory, maps
from safehome.views.account import EmptyForm
from safehome.views.common import CheckboxesField, form_errors_from, page_field, select_choices

bp = Blueprint("units", __name__, url_prefix="/units")



def _none_first(choices):
    return select_choices([("", "(any)"), *choices])


class ProviderForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    phone = StringField("Phone", validators=[Optional(), Length(max=40)])
    email = StringField("Email", validators=[Optional(), Length(max=254)])


class SiteForm(FlaskForm):
    name = StringField("Site name", validators=[DataRequired(), Length(max=120)])
    kind = SelectField("Houses", choices=select_choices(SiteKind.choices()), default=SiteKind.VICTIM.value)
    postcode = StringField("Postcode", validators=[DataRequired(), Length(max=16)])
    line1 = StringField("Address line 1", validators=[Optional(), Length(max=120)])
    line2 = StringField("Address line 2", validators=[Optional(), Length(max=120)])
    town = StringField("Town", validators=[Optional(), Length(max=120)])
    lat = FloatField("Latitude", validators=[Optional()])
    lon = FloatField("Longitude", validators=[Optional()])
    area = StringField("Area (local authority)", validators=[Optional(), Length(max=80)])


SITE_HINTS = {"kind": "Victims or perpetrators, never both. Perpetrator accommodation is kept well away from every "
                     "site housing victims. It can change only while the site has no units.",
              "lat": "Leave latitude and longitude empty to place the site at its postcode.",
              "area": "Leave empty to use the postcode's local authority."}


class UnitForm(FlaskForm):
    name = StringField("Unit name", validators=[DataRequired(), Length(max=80)])
    type = SelectField("Type", choices=select_choices(UnitType.choices()))
    bedspaces = IntegerField("Bedspaces", validators=[DataRequired(), NumberRange(1, inventory.MAX_BEDSPACES)])
    bedrooms = IntegerField("Bedrooms", default=1, validators=[Optional(), NumberRange(0, inventory.MAX_BEDSPACES)])
    lead_genders = CheckboxesField("Lead person's gender it accepts", choices=select_choices(Gender.choices()))
    max_male_age = IntegerField("Oldest male member it can take", validators=[Optional(), NumberRange(0, 120)])
    pets = CheckboxesField("Pets it accepts", choices=select_choices(Pet.choices()))
    features = CheckboxesField("Features", choices=select_choices(Feature.choices()))
    languages = CheckboxesField("Staff languages", choices=select_choices(Language.choices()))
    weekly_cost = DecimalField("Weekly cost (£)", places=2, default=0, validators=[Optional()])
    frees_on = DateField("Frees on", validators=[Optional()])


UNIT_HINTS = {"max_male_age": "Leave empty for no limit. Many refuges cannot take boys over 12 to 16.",
              "frees_on": "For a unit that is not free now: the day it is expected to be."}


class NewUnitForm(UnitForm):
    site_id = SelectField("Site", choices=[], coerce=int, validate_choice=False)
    status = SelectField("Status", choices=select_choices((s.value, s.label) for s in inventory.CREATE_STATUSES))


class StatusForm(FlaskForm):
    status = SelectField("New status", choices=select_choices(UnitStatus.choices()))
    frees_on = DateField("Frees on", validators=[Optional()])
    note = StringField("Note", validators=[Optional(), Length(max=200)])


class BoardForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter: changes nothing

    type = CheckboxesField("Type", choices=select_choices(UnitType.choices()))
    area = SelectField("Area", choices=[], default="", validate_choice=False)
    lead_gender = SelectField("Accepts a lead person who is", choices=_none_first(Gender.choices()), default="")
    boys_up_to = IntegerField("Accepts boys aged up to", validators=[Optional(), NumberRange(0, 120)])
    pet = CheckboxesField("Accepts pets", choices=select_choices(Pet.choices()))
    feature = CheckboxesField("Access and funding", choices=select_choices(Feature.choices()))
    min_bedspaces = IntegerField("At least this many bedspaces",
                                 validators=[Optional(), NumberRange(1, inventory.MAX_BEDSPACES)])
    within_days = IntegerField("Free within (days)", default=14, validators=[Optional(), NumberRange(0, 365)])
    page = page_field()


class IndexForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField("Status", choices=_none_first(UnitStatus.choices()), default="")
    type = SelectField("Type", choices=_none_first(UnitType.choices()), default="")
    page = page_field()


class ImportForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired()])


def _geocoder() -> str:
    return current_app.config["GEOCODER"]


def _form_data(form: FlaskForm, skip=("csrf_token", "site_id", "status")) -> dict:
    return {name: f.data for name, f in form._fields.items() if name not in skip}


def _render_form(form, title: str, cancel: str, status: int = 200, hints=None):
    return render_template("units/form.html", form=form, title=title, cancel=cancel, hints=hints or {}), status


def _save(form, save, title: str, cancel: str, hints=None):
    """Validate the form, run ``save()``; redirect to what it returns, or re-show the form (422)."""
    if form.validate_on_submit():
        try:
            target = save()
            flash("Saved.", "info")
            return redirect(target)
        except ValidationError as exc:
            form_errors_from(form, exc)
            return _render_form(form, title, cancel, 422, hints)
    return _render_form(form, title, cancel, 422 if form.errors else 200, hints)


# Units and the board -------------------------------------------------------------

@bp.route("/")
@requires(Permission.UNIT_READ)
def index():
    form = IndexForm(request.args)
    page = None
    if form.validate():
        page = inventory.list_units(db.session, current_actor(), status=form.status.data or None,
                                    unit_type=form.type.data or None, page=form.page.data or 1)
    return render_template("units/index.html", form=form, page=page), 200 if page else 422


def _board_form() -> BoardForm:
    form = BoardForm(request.args)
    form.area.choices = _none_first((a, a) for a in inventory.board_areas(db.session, current_actor()))
    return form


@bp.route("/vacancies")
@requires(Permission.UNIT_READ)
def vacancies():
    form = _board_form()
    board = None
    if form.validate():
        board = inventory.vacancy_board(db.session, current_actor(), board_filters(form.data),
                                        page=form.page.data or 1)
    return render_template("units/vacancies.html", form=form, board=board), 200 if board else 422


@bp.route("/map")
@requires(Permission.ADDRESS_VIEW)
def vacancy_map():
    form = _board_form()
    svg = None
    if form.validate():
        svg = maps.vacancy_map(db.session, current_actor(), board_filters(form.data), page=form.page.data or 1)
    return render_template("units/map.html", form=form, svg=svg), 200 if svg else 422


def _unit_page(unit_id: int, *, status_form=None, address=None, status: int = 200):
    unit = inventory.get_unit(db.session, current_actor(), unit_id)
    status_form = status_form or StatusForm(status=unit.status.value, frees_on=unit.frees_on)
    status_form.status.choices = select_choices([(unit.status.value, f"{unit.status.label} (no change)")] + [
        (s.value, s.label) for s in inventory.allowed_moves(unit)])
    return render_template("units/unit.html", unit=unit, history=inventory.unit_history(db.session, unit),
                           status_form=status_form, address=address, action_form=EmptyForm()), status


@bp.route("/<int:unit_id>")
@requires(Permission.UNIT_READ)
def unit_detail(unit_id: int):
    return _unit_page(unit_id)


@bp.route("/<int:unit_id>/address", methods=["POST"])
@requires(Permission.ADDRESS_VIEW)
def unit_address(unit_id: int):
    unit = inventory.get_unit(db.session, current_actor(), unit_id)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("units.unit_detail", unit_id=unit.id))
    address = inventory.open_site_address(db.session, current_actor(), unit.site)
    return _unit_page(unit.id, address=address)


@bp.route("/<int:unit_id>/status", methods=["POST"])
@requires(Permission.UNIT_STATUS)
def unit_status(unit_id: int):
    form = StatusForm()
    form.status.choices = select_choices(UnitStatus.choices())
    if form.validate_on_submit():
        unit = inventory.get_unit(db.session, current_actor(), unit_id)
        try:
            inventory.change_status(db.session, current_actor(), unit, form.status.data, form.frees_on.data,
                                    form.note.data or None)
            flash(f"Status is now {unit.status.label.lower()}.", "info")
            return redirect(url_for("units.unit_detail", unit_id=unit_id))
        except (ValidationError, Conflict) as exc:
            form_errors_from(form, exc)
            return _unit_page(unit_id, status_form=form, status=exc.status)
    return _unit_page(unit_id, status_form=form, status=422)


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.UNIT_WRITE)
def unit_new():
    form = NewUnitForm()
    sites = inventory.list_sites(db.session, current_actor())
    form.site_id.choices = select_choices((s.id, f"{s.provider.name}: {s.name}") for s in sites)
    if request.method == "GET" and request.args.get("site_id", type=int):
        form.site_id.data = request.args.get("site_id", type=int)

    def save():
        site = inventory.get_site(db.session, current_actor(), form.site_id.data)
        unit = inventory.create_unit(db.session, current_actor(), site,
                                     {**_form_data(form), "status": form.status.data})
        return url_for("units.unit_detail", unit_id=unit.id)

    return _save(form, save, "New unit", url_for("units.index"), UNIT_HINTS)


@bp.route("/<int:unit_id>/edit", methods=["GET", "POST"])
@requires(Permission.UNIT_WRITE)
def unit_edit(unit_id: int):
    unit = inventory.get_unit(db.session, current_actor(), unit_id)
    form = UnitForm(obj=unit, type=unit.type.value)

    def save():
        inventory.update_unit(db.session, current_actor(), unit, _form_data(form))
        return url_for("units.unit_detail", unit_id=unit.id)

    return _save(form, save, f"Edit unit {unit.name}", url_for("units.unit_detail", unit_id=unit.id), UNIT_HINTS)


def _retire(record, retire, back: str, done: str):
    if EmptyForm().validate_on_submit():
        try:
            retire(db.session, current_actor(), record)
            flash("Retired.", "info")
            return redirect(done)
        except Conflict as exc:
            db.session.rollback()
            flash(exc.message, "error")
    return redirect(back)


@bp.route("/<int:unit_id>/retire", methods=["POST"])
@requires(Permission.UNIT_WRITE)
def unit_retire(unit_id: int):
    unit = inventory.get_unit(db.session, current_actor(), unit_id)
    back = url_for("units.unit_detail", unit_id=unit.id)
    return _retire(unit, inventory.retire_unit, back, url_for("units.site_detail", site_id=unit.site_id))


# Providers and sites ------------------------------------------------------------------

@bp.route("/providers")
@requires(Permission.UNIT_READ)
def providers():
    return render_template("units/providers.html",
                           providers=inventory.list_providers(db.session, current_actor()))


@bp.route("/providers/new", methods=["GET", "POST"])
@requires(Permission.UNIT_WRITE)
def provider_new():
    form = ProviderForm()

    def save():
        provider = inventory.create_provider(db.session, current_actor(), _form_data(form))
        return url_for("units.provider_detail", provider_id=provider.id)

    return _save(form, save, "New provider", url_for("units.providers"))


@bp.route("/providers/<int:provider_id>")
@requires(Permission.UNIT_READ)
def provider_detail(provider_id: int):
    provider = inventory.get_provider(db.session, current_actor(), provider_id)
    return render_template("units/provider.html", provider=provider, action_form=EmptyForm(),
                           sites=inventory.list_sites(db.session, current_actor(), provider_id=provider.id))


@bp.route("/providers/<int:provider_id>/edit", methods=["GET", "POST"])
@requires(Permission.UNIT_WRITE)
def provider_edit(provider_id: int):
    provider = inventory.get_provider(db.session, current_actor(), provider_id)
    form = ProviderForm(obj=provider)

    def save():
        inventory.update_provider(db.session, current_actor(), provider, _form_data(form))
        return url_for("units.provider_detail", provider_id=provider.id)

    return _save(form, save, f"Edit provider {provider.name}",
                 url_for("units.provider_detail", provider_id=provider.id))


@bp.route("/providers/<int:provider_id>/retire", methods=["POST"])
@requires(Permission.UNIT_WRITE)
def provider_retire(provider_id: int):
    provider = inventory.get_provider(db.session, current_actor(), provider_id)
    back = url_for("units.provider_detail", provider_id=provider.id)
    return _retire(provider, inventory.retire_provider, back, url_for("units.providers"))


def _site_input(form: SiteForm) -> inventory.SiteInput:
    return inventory.SiteInput(**{k: (v or None) if isinstance(v, str) else v for k, v in _form_data(form).items()})


@bp.route("/providers/<int:provider_id>/sites/new", methods=["GET", "POST"])
@requires(Permission.UNIT_WRITE)
def site_new(provider_id: int):
    provider = inventory.get_provider(db.session, current_actor(), provider_id)
    form = SiteForm()

    def save():
        site = inventory.create_site(db.session, current_actor(), provider, _site_input(form), geocoder=_geocoder())
        return url_for("units.site_detail", site_id=site.id)

    return _save(form, save, f"New site of {provider.name}",
                 url_for("units.provider_detail", provider_id=provider.id), SITE_HINTS)


def _site_page(site_id: int, address=None):
    site = inventory.get_site(db.session, current_actor(), site_id)
    units = inventory.list_units(db.session, current_actor(), site_id=site.id, per_page=200)
    return render_template("units/site.html", site=site, units=units, address=address, action_form=EmptyForm())


@bp.route("/sites/<int:site_id>")
@requires(Permission.UNIT_READ)
def site_detail(site_id: int):
    return _site_page(site_id)


@bp.route("/sites/<int:site_id>/address", methods=["POST"])
@requires(Permission.ADDRESS_VIEW)
def site_address(site_id: int):
    site = inventory.get_site(db.session, current_actor(), site_id)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("units.site_detail", site_id=site.id))
    return _site_page(site.id, address=inventory.open_site_address(db.session, current_actor(), site))


@bp.route("/sites/<int:site_id>/edit", methods=["GET", "POST"])
@requires(Permission.UNIT_WRITE)
def site_edit(site_id: int):
    site = inventory.get_site(db.session, current_actor(), site_id)
    if request.method == "GET":
        # Showing the address to edit it is a view of it: opened through the audited service.
        form = SiteForm(data={**inventory.open_site_address(db.session, current_actor(), site),
                              "name": site.name, "area": site.area, "kind": site.kind.value})
    else:
        form = SiteForm()

    def save():
        inventory.update_site(db.session, current_actor(), site, _site_input(form), geocoder=_geocoder())
        return url_for("units.site_detail", site_id=site.id)

    return _save(form, save, f"Edit site {site.name}", url_for("units.site_detail", site_id=site.id), SITE_HINTS)


@bp.route("/sites/<int:site_id>/retire", methods=["POST"])
@requires(Permission.UNIT_WRITE)
def site_retire(site_id: int):
    site = inventory.get_site(db.session, current_actor(), site_id)
    back = url_for("units.site_detail", site_id=site.id)
    return _retire(site, inventory.retire_site, back, url_for("units.provider_detail", provider_id=site.provider_id))


# CSV -----------------------------------------------------------------------------------

@bp.route("/import", methods=["GET", "POST"])
@requires(Permission.UNIT_WRITE)
def csv_import():
    form = ImportForm()
    problems, status = None, 200
    if form.validate_on_submit():
        try:
            result = inventory.import_units_csv(db.session, current_actor(), form.file.data.read(),
                                                geocoder=_geocoder())
            flash(f"Imported {result.units} units ({result.sites} new sites, {result.providers} new providers).",
                  "info")
            return redirect(url_for("units.index"))
        except inventory.CsvImportError as exc:
            db.session.rollback()
            problems, status = exc, 422
    elif form.errors:
        status = 422
    return render_template("units/import.html", form=form, problems=problems, columns=inventory.CSV_COLUMNS,
                           required=inventory.CSV_REQUIRED_COLUMNS), status


@bp.route("/export.csv")
@requires(Permission.UNIT_READ)
def csv_export():
    text = inventory.export_units_csv(db.session, current_actor())
    return Response(text, mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=units.csv"})
