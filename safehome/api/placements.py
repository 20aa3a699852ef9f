"""The API for placements: suggestions, offers, decisions, moving in and out, batch match runs, work lists.

Output is scoped by role: a provider sees only placements in its own units,
and of them only the unit's side (``PlacementOut``); Housing Options the kind
of place and its council (``PlacementCouncilOut``, from the service's
``CouncilPlacement``); the service's staff see the whole placement
(``PlacementStaffOut``). Addresses never appear here.
"""
from __future__ import annotations

from flask import current_app, jsonify
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint

from safehome.auth_session import current_actor
from safehome.codes import Role
from safehome.extensions import db
from safehome.permissions import Permission, requires
from safehome.schemas.placements import (
    MatchRunApprovalOut,
    MatchRunApproveIn,
    OfferDeclineIn,
    MatchRunOut,
    PlacementMoveInIn,
    PlacementMoveOutIn,
    PlacementNoteIn,
    UnitOccupancyOut,
    OfferIn,
    OverrideOfferIn,
    PlacementCouncilOut,
    PlacementDetailOut,
    PlacementOut,
    PlacementQuery,
    PlacementStaffOut,
    HouseholdSuggestionsOut,
    HouseholdSuggestQuery,
    WorkListsOut,
)
from safehome.services import placements, worklists

blp = Blueprint("api_placements", __name__, url_prefix="/api/v1",
                description="Placements: suggestions, offers, decisions, moves and the batch match")


def _scoped(placement_or_list, many: bool = False, staff=PlacementStaffOut):
    """Placements as JSON for the current user's role: a provider gets only the unit's side, and whoever
    the service gave the council's view (Housing Options) gets that."""
    if placements.sees_council_view(current_actor()):
        schema = PlacementCouncilOut
    else:
        schema = PlacementOut if current_user.role == Role.PROVIDER else staff
    return jsonify(schema(many=many).dump(placement_or_list))


def _hold_hours() -> int:
    return int(current_app.config["OFFER_HOLD_HOURS"])


@blp.route("/households/<int:household_id>/suggestions")
class Suggestions(MethodView):
    @requires(Permission.MATCH_SUGGEST)
    @blp.arguments(HouseholdSuggestQuery, location="query")
    @blp.response(200, HouseholdSuggestionsOut)
    def get(self, query, household_id: int):
        """The engine's best free units for a case, and why the others are ruled out (grouped)."""
        return placements.suggest_for(db.session, current_actor(), household_id, top=query["top"]).suggestions


@blp.route("/placements")
class Placements(MethodView):
    @requires(Permission.CASE_READ)
    @blp.arguments(PlacementQuery, location="query")
    @blp.response(200, PlacementStaffOut(many=True))
    def get(self, query):
        """Placements the user may see, newest first (providers: those in their own units)."""
        return _scoped(placements.search(db.session, current_actor(), **query), many=True)

    @requires(Permission.PLACEMENT_WRITE)
    @blp.arguments(OfferIn)
    @blp.response(201, PlacementStaffOut)
    def post(self, data):
        """Offer a unit to a household (checked by the engine's hard rules); it is held for OFFER_HOLD_HOURS."""
        return placements.make_offer(db.session, current_actor(), data["household_id"], data["unit_id"],
                                     hold_hours=_hold_hours())


@blp.route("/placements/override")
class OverrideOffer(MethodView):
    @requires(Permission.PLACEMENT_OVERRIDE)
    @blp.arguments(OverrideOfferIn)
    @blp.response(201, PlacementStaffOut)
    def post(self, data):
        """A manager's offer overriding a soft preference or the one-live-offer rule (never a hard rule)."""
        return placements.make_offer(db.session, current_actor(), data["household_id"], data["unit_id"],
                                     override_reason=data["override_reason"], hold_hours=_hold_hours())


@blp.route("/placements/<int:placement_id>")
class PlacementDetail(MethodView):
    @requires(Permission.CASE_READ)
    @blp.response(200, PlacementDetailOut)
    def get(self, placement_id: int):
        """One placement with its events (providers: the unit's side only)."""
        return _scoped(placements.view_placement(db.session, current_actor(), placement_id), staff=PlacementDetailOut)


@blp.route("/placements/<int:placement_id>/accept")
class Accept(MethodView):
    @requires(Permission.PLACEMENT_WRITE)
    @blp.arguments(PlacementNoteIn)
    @blp.response(200, PlacementStaffOut)
    def post(self, data, placement_id: int):
        """The household accepts; its other live offers are withdrawn."""
        return placements.accept(db.session, current_actor(), placement_id, data["note"])


@blp.route("/placements/<int:placement_id>/decline")
class Decline(MethodView):
    @requires(Permission.PLACEMENT_WRITE)
    @blp.arguments(OfferDeclineIn)
    @blp.response(200, PlacementStaffOut)
    def post(self, data, placement_id: int):
        """Decline with a coded reason, as the household's or the provider's decision."""
        return placements.decline(db.session, current_actor(), placement_id, **data)


@blp.route("/placements/<int:placement_id>/withdraw")
class Withdraw(MethodView):
    @requires(Permission.PLACEMENT_WRITE)
    @blp.arguments(PlacementNoteIn)
    @blp.response(200, PlacementStaffOut)
    def post(self, data, placement_id: int):
        """Withdraw an offer or an accepted placement before moving in."""
        return placements.withdraw(db.session, current_actor(), placement_id, data["note"])


@blp.route("/placements/<int:placement_id>/move-in")
class MoveIn(MethodView):
    @requires(Permission.PLACEMENT_WRITE)
    @blp.arguments(PlacementMoveInIn)
    @blp.response(200, PlacementStaffOut)
    def post(self, data, placement_id: int):
        """The household moved in on a date."""
        return placements.move_in(db.session, current_actor(), placement_id, data["moved_in_on"], data["note"])


@blp.route("/placements/<int:placement_id>/move-out")
class MoveOut(MethodView):
    @requires(Permission.PLACEMENT_WRITE)
    @blp.arguments(PlacementMoveOutIn)
    @blp.response(200, PlacementStaffOut)
    def post(self, data, placement_id: int):
        """The household moved out: date, planned or not, where to and the tenure at exit."""
        return placements.move_out(db.session, current_actor(), placement_id, **data)


@blp.route("/units/<int:unit_id>/occupancy")
class Occupancy(MethodView):
    @requires(Permission.UNIT_READ)
    @blp.response(200, UnitOccupancyOut)
    def get(self, unit_id: int):
        """A unit's placements, void days and turnaround (providers: own units only)."""
        return placements.unit_occupancy(db.session, current_actor(), unit_id)


@blp.route("/work-lists")
class WorkLists(MethodView):
    @requires(Permission.PLACEMENT_WRITE)
    @blp.response(200, WorkListsOut)
    def get(self):
        """Offers about to lapse, moves due, households waiting longest, high-risk households not placed."""
        return worklists.work_lists(db.session, current_actor())


@blp.route("/match-runs")
class MatchRuns(MethodView):
    @requires(Permission.MATCH_BATCH)
    @blp.response(200, MatchRunOut(many=True))
    def get(self):
        """The latest batch match runs."""
        return placements.list_runs(db.session)

    @requires(Permission.MATCH_BATCH)
    @blp.response(202, MatchRunOut)
    def post(self):
        """Start a batch match over every waiting household and free unit; poll the run for its status."""
        run = placements.start_batch(db.session, current_actor())
        placements.launch_batch(current_app._get_current_object(), db.session, run.id,
                                time_limit=float(current_app.config["MATCH_TIME_LIMIT"]),
                                inline=bool(current_app.config.get("MATCH_RUN_INLINE", False)))
        return run


@blp.route("/match-runs/<int:run_id>")
class MatchRunDetail(MethodView):
    @requires(Permission.MATCH_BATCH)
    @blp.response(200, MatchRunOut)
    def get(self, run_id: int):
        """One run: its status, and when done its proposals and unplaced households."""
        return placements.get_run(db.session, run_id)


@blp.route("/match-runs/<int:run_id>/approve")
class Approve(MethodView):
    @requires(Permission.MATCH_BATCH)
    @blp.arguments(MatchRunApproveIn)
    @blp.response(200, MatchRunApprovalOut)
    def post(self, data, run_id: int):
        """Approve all or some proposals: only now do the offers go out."""
        return placements.approve_batch(db.session, current_actor(), run_id, data["household_ids"],
                                        data["request_ids"], hold_hours=_hold_hours())
