"""The API for referrals, households (cases), their members and housing needs assessments.

Output is scoped by role (``schemas.households.dump_household``): a field a
role may not see is absent. The sealed address and places come only with
``?include=places``, only for roles with ADDRESS_VIEW, and every such read is
audited. A case outside the user's scope answers 404.
"""
from __future__ import annotations

from flask import current_app, jsonify
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint

from safehome.auth_session import current_actor
from safehome.extensions import db
from safehome.permissions import Permission, requires
from safehome.schemas.households import (
    AssessmentIn,
    AssessmentOut,
    HouseholdGetQuery,
    HouseholdOut,
    HouseholdPageOut,
    HouseholdPatchIn,
    HouseholdQuery,
    IntakeOut,
    MembersIn,
    ReferralIn,
    ReferralOut,
    dump_household,
    dump_households,
)
from safehome.services import households, referrals

blp = Blueprint("api_households", __name__, url_prefix="/api/v1",
                description="Referrals, households (cases), members and housing needs assessments")


def _geocoder() -> str:
    return current_app.config["GEOCODER"]


def _household_json(household, status: int = 200, places: dict | None = None):
    response = jsonify(dump_household(household, current_user.role, places))
    response.status_code = status
    return response


@blp.route("/referrals")
class Referrals(MethodView):
    @requires(Permission.CASE_WRITE)
    @blp.arguments(ReferralIn)
    @blp.response(201, IntakeOut)
    def post(self, data):
        """Take a referral: opens a case, or joins the open case of the same reference (repeat flagged)."""
        intake = referrals.take_referral(db.session, current_actor(), data, geocoder=_geocoder())
        response = jsonify({"referral": ReferralOut().dump(intake.referral),
                            "household": dump_household(intake.household, current_user.role),
                            "joined_open_case": intake.joined})
        response.status_code = 201
        return response


@blp.route("/households")
class Households(MethodView):
    @requires(Permission.CASE_READ)
    @blp.arguments(HouseholdQuery, location="query")
    @blp.response(200, HouseholdPageOut)
    def get(self, query):
        """The cases the user may see, newest first (filter by reference prefix, risk, status, repeat, mine)."""
        page = households.list_cases(db.session, current_user, **query)
        return jsonify({"items": dump_households(page.items, current_user.role), "total": page.total,
                        "page": page.page, "per_page": page.per_page})


@blp.route("/households/<int:household_id>")
class HouseholdResource(MethodView):
    @requires(Permission.CASE_READ)
    @blp.arguments(HouseholdGetQuery, location="query")
    @blp.response(200, HouseholdOut)
    def get(self, query, household_id: int):
        """One case (the view is audited); ``?include=places`` adds the sealed places (audited)."""
        actor = current_actor()
        household = households.get_case(db.session, actor, household_id)
        places = None
        if query.get("include") == "places":
            _, places = households.reveal_places(db.session, actor, household_id)
        return _household_json(household, places=places)

    @requires(Permission.CASE_WRITE)
    @blp.arguments(HouseholdPatchIn)
    @blp.response(200, HouseholdOut)
    def patch(self, data, household_id: int):
        """Change a case's details: only the fields given; every problem named, nothing written on error."""
        return _household_json(households.update_household(db.session, current_actor(), household_id, data,
                                                           geocoder=_geocoder()))


@blp.route("/households/<int:household_id>/members")
class Members(MethodView):
    @requires(Permission.CASE_WRITE)
    @blp.arguments(MembersIn)
    @blp.response(200, HouseholdOut)
    def put(self, data, household_id: int):
        """Replace the household's members (the lead person first)."""
        return _household_json(households.update_household(db.session, current_actor(), household_id, data))


@blp.route("/households/<int:household_id>/assessments")
class Assessments(MethodView):
    @requires(Permission.CASE_WRITE)
    @blp.arguments(AssessmentIn)
    @blp.response(201, AssessmentOut)
    def post(self, data, household_id: int):
        """Record a housing needs assessment on an open case."""
        return households.record_assessment(db.session, current_actor(), household_id, data)
