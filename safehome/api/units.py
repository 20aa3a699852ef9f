"""The API for the inventory: providers, sites, units, unit status, the vacancy board, CSV import and export.

A provider user sees only its own provider; anything else answers 404.
Lists never carry locations. The detail of a site or unit carries its
address and point only for a role with ADDRESS_VIEW, and each such answer is
audited as an address view; for other roles those fields are absent.
"""
from __future__ import annotations

from flask import Response, current_app
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint

from safehome.auth_session import current_actor
from safehome.extensions import db
from safehome.permissions import Permission, requires, user_can
from safehome.schemas.inventory import (
    HistoryOut,
    ImportIn,
    ImportOut,
    ProviderIn,
    ProviderOut,
    ProviderPatch,
    SiteDetailOut,
    SiteIn,
    SiteOut,
    SitePatch,
    SiteQuery,
    StatusIn,
    UnitDetailOut,
    UnitIn,
    UnitOut,
    UnitPageOut,
    UnitPatch,
    UnitQuery,
    VacancyOut,
    VacancyQuery,
    board_filters,
)
from safehome.services import inventory

blp = Blueprint("api_units", __name__, url_prefix="/api/v1",
                description="The inventory: providers, sites, units, status and the vacancy board")


def _geocoder() -> str:
    return current_app.config["GEOCODER"]


def _site_input(data: dict) -> inventory.SiteInput:
    return inventory.SiteInput(**{k: v for k, v in data.items() if k != "provider_id"})


def _open_location(site) -> dict | None:
    """For ADDRESS_VIEW roles, open (and audit) the site's address and point for the answer; else None."""
    if not user_can(current_user, Permission.ADDRESS_VIEW):
        return None
    opened = inventory.open_site_address(db.session, current_actor(), site)
    site.opened_address = {k: opened.get(k) for k in ("line1", "line2", "town", "postcode")}
    site.opened_location = {"lat": opened["lat"], "lon": opened["lon"]}
    return site.opened_location


# Providers ---------------------------------------------------------------------

@blp.route("/providers")
class Providers(MethodView):
    @requires(Permission.UNIT_READ)
    @blp.response(200, ProviderOut(many=True))
    def get(self):
        """The providers one may see (a provider user: its own)."""
        return inventory.list_providers(db.session, current_actor())

    @requires(Permission.UNIT_WRITE)
    @blp.arguments(ProviderIn)
    @blp.response(201, ProviderOut)
    def post(self, data):
        """Create a provider."""
        return inventory.create_provider(db.session, current_actor(), data)


@blp.route("/providers/<int:provider_id>")
class ProviderItem(MethodView):
    @requires(Permission.UNIT_READ)
    @blp.response(200, ProviderOut)
    def get(self, provider_id: int):
        """One provider."""
        return inventory.get_provider(db.session, current_actor(), provider_id)

    @requires(Permission.UNIT_WRITE)
    @blp.arguments(ProviderPatch)
    @blp.response(200, ProviderOut)
    def patch(self, data, provider_id: int):
        """Change a provider's name, phone or email."""
        provider = inventory.get_provider(db.session, current_actor(), provider_id)
        return inventory.update_provider(db.session, current_actor(), provider, data)

    @requires(Permission.UNIT_WRITE)
    @blp.response(200, ProviderOut)
    def delete(self, provider_id: int):
        """Retire a provider with its sites and units (refused while a unit is offered or occupied)."""
        provider = inventory.get_provider(db.session, current_actor(), provider_id)
        return inventory.retire_provider(db.session, current_actor(), provider)


# Sites -------------------------------------------------------------------------

@blp.route("/sites")
class Sites(MethodView):
    @requires(Permission.UNIT_READ)
    @blp.arguments(SiteQuery, location="query")
    @blp.response(200, SiteOut(many=True))
    def get(self, query):
        """The sites one may see (no addresses or points)."""
        return inventory.list_sites(db.session, current_actor(), **query)

    @requires(Permission.UNIT_WRITE)
    @blp.arguments(SiteIn)
    @blp.response(201, SiteOut)
    def post(self, data):
        """Create a site. Without lat/lon it is located from its postcode; 422 on `lat` if that fails."""
        provider = inventory.get_provider(db.session, current_actor(), data["provider_id"])
        return inventory.create_site(db.session, current_actor(), provider, _site_input(data), geocoder=_geocoder())


@blp.route("/sites/<int:site_id>")
class SiteItem(MethodView):
    @requires(Permission.UNIT_READ)
    @blp.response(200, SiteDetailOut)
    def get(self, site_id: int):
        """One site; with its address and point for roles that may see them (audited)."""
        site = inventory.get_site(db.session, current_actor(), site_id)
        _open_location(site)
        return site

    @requires(Permission.UNIT_WRITE)
    @blp.arguments(SitePatch)
    @blp.response(200, SiteOut)
    def patch(self, data, site_id: int):
        """Change a site; a new postcode without a point is located again."""
        site = inventory.get_site(db.session, current_actor(), site_id)
        return inventory.update_site(db.session, current_actor(), site, _site_input(data), geocoder=_geocoder())

    @requires(Permission.UNIT_WRITE)
    @blp.response(200, SiteOut)
    def delete(self, site_id: int):
        """Retire a site and its units (refused while a unit is offered or occupied)."""
        site = inventory.get_site(db.session, current_actor(), site_id)
        return inventory.retire_site(db.session, current_actor(), site)


# Units -------------------------------------------------------------------------

@blp.route("/units")
class Units(MethodView):
    @requires(Permission.UNIT_READ)
    @blp.arguments(UnitQuery, location="query")
    @blp.response(200, UnitPageOut)
    def get(self, query):
        """The units one may see, a page at a time (no points)."""
        unit_type = query.pop("type", None)
        return inventory.list_units(db.session, current_actor(), unit_type=unit_type, **query)

    @requires(Permission.UNIT_WRITE)
    @blp.arguments(UnitIn)
    @blp.response(201, UnitOut)
    def post(self, data):
        """Create a unit on a site."""
        site = inventory.get_site(db.session, current_actor(), data.pop("site_id"))
        return inventory.create_unit(db.session, current_actor(), site, data)


@blp.route("/units/<int:unit_id>")
class UnitItem(MethodView):
    @requires(Permission.UNIT_READ)
    @blp.response(200, UnitDetailOut)
    def get(self, unit_id: int):
        """One unit; with its site's point for roles that may see it (audited)."""
        unit = inventory.get_unit(db.session, current_actor(), unit_id)
        location = _open_location(unit.site)
        if location is not None:
            unit.opened_location = location
        return unit

    @requires(Permission.UNIT_WRITE)
    @blp.arguments(UnitPatch)
    @blp.response(200, UnitOut)
    def patch(self, data, unit_id: int):
        """Change a unit's attributes (status has its own operation)."""
        unit = inventory.get_unit(db.session, current_actor(), unit_id)
        return inventory.update_unit(db.session, current_actor(), unit, data)

    @requires(Permission.UNIT_WRITE)
    @blp.response(200, UnitOut)
    def delete(self, unit_id: int):
        """Retire a unit (refused while it is offered or occupied)."""
        unit = inventory.get_unit(db.session, current_actor(), unit_id)
        return inventory.retire_unit(db.session, current_actor(), unit)


@blp.route("/units/<int:unit_id>/status")
class UnitStatusResource(MethodView):
    @requires(Permission.UNIT_STATUS)
    @blp.arguments(StatusIn)
    @blp.response(200, UnitOut)
    def post(self, data, unit_id: int):
        """Change a unit's status (available, void, out of use; occupied to void), or with the same status its frees_on.

        409 for a move the workflow does not allow: offered and occupied are set by placements.
        """
        unit = inventory.get_unit(db.session, current_actor(), unit_id)
        return inventory.change_status(db.session, current_actor(), unit, data["status"], data["frees_on"],
                                       data["note"])


@blp.route("/units/<int:unit_id>/history")
class UnitHistoryResource(MethodView):
    @requires(Permission.UNIT_READ)
    @blp.response(200, HistoryOut)
    def get(self, unit_id: int):
        """A unit's status changes, void days and turnarounds."""
        unit = inventory.get_unit(db.session, current_actor(), unit_id)
        return inventory.unit_history(db.session, unit)


@blp.route("/vacancies")
class Vacancies(MethodView):
    @requires(Permission.UNIT_READ)
    @blp.arguments(VacancyQuery, location="query")
    @blp.response(200, VacancyOut)
    def get(self, query):
        """Units free now and soon, filtered, with counts by type (no points)."""
        board = inventory.vacancy_board(db.session, current_actor(), board_filters(query), page=query["page"],
                                        per_page=query["per_page"])
        return {"items": board.units.items, "total": board.units.total, "page": board.units.page,
                "per_page": board.units.per_page, "counts_by_type": board.counts_by_type,
                "soon_until": board.soon_until}


@blp.route("/units/import")
class UnitImport(MethodView):
    @requires(Permission.UNIT_WRITE)
    @blp.arguments(ImportIn, location="files")
    @blp.response(201, ImportOut)
    def post(self, files):
        """Import units from CSV (multipart field `file`). All or nothing: 422 lists every problem as `row N/column`."""
        result = inventory.import_units_csv(db.session, current_actor(), files["file"].read(), geocoder=_geocoder())
        return {"units": result.units, "sites": result.sites, "providers": result.providers}


@blp.route("/units/export")
class UnitExport(MethodView):
    @requires(Permission.UNIT_READ)
    @blp.response(200, content_type="text/csv")
    def get(self):
        """Every live unit one may see as CSV (the import's columns; location columns only for ADDRESS_VIEW)."""
        text = inventory.export_units_csv(db.session, current_actor())
        return Response(text, mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=units.csv"})
