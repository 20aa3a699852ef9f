"""The API for perpetrator-accommodation requests.

``/perpetrator-requests``: the perpetrator service's own requests (``PERP_REQUEST``),
answered with ``RequestService*Out``, which carry nothing about the victim.
``/perpetrator-queue``: the housing side (managers; the victim's housing worker),
answered with ``RequestHousing*Out``.
"""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from safehome.auth_session import current_actor
from safehome.extensions import db
from safehome.permissions import Permission, requires
from safehome.schemas.perpetrator import (
    CloseRequestIn,
    FlagUnsafeIn,
    MatchIn,
    MoveInIn,
    MoveOutIn,
    PatternFlagOut,
    QueueQuery,
    RequestHousingDetailOut,
    RequestHousingOut,
    RequestIn,
    RequestServiceDetailOut,
    RequestServiceOut,
    SafeDistanceIn,
    SuggestionsOut,
    SuggestQuery,
    UnitAddressOut,
)
from safehome.services import perpetrator

blp = Blueprint("api_perpetrator", __name__, url_prefix="/api/v1",
                description="Perpetrator accommodation: requests, the managers' queue and matching")


# The perpetrator service's own requests -----------------------------------------------------------

@blp.route("/perpetrator-requests")
class Requests(MethodView):
    @requires(Permission.PERP_REQUEST)
    @blp.response(200, RequestServiceOut(many=True))
    def get(self):
        """One's own requests, newest first."""
        return perpetrator.own_requests(db.session, current_actor())

    @requires(Permission.PERP_REQUEST)
    @blp.arguments(RequestIn)
    @blp.response(201, RequestServiceDetailOut)
    def post(self, data):
        """File a request for alternative accommodation for a perpetrator (429 over the worker's filing limits)."""
        return perpetrator.file_request(db.session, current_actor(), data,
                                        limits=perpetrator.FilingLimits.from_settings(current_app.config))


@blp.route("/perpetrator-requests/<int:request_id>")
class Request(MethodView):
    @requires(Permission.PERP_REQUEST)
    @blp.response(200, RequestServiceDetailOut)
    def get(self, request_id: int):
        """One of one's own requests: its state and the unit offered to the client."""
        return perpetrator.own_request(db.session, current_actor(), request_id)


@blp.route("/perpetrator-requests/<int:request_id>/unit-address")
class UnitAddress(MethodView):
    @requires(Permission.PERP_REQUEST)
    @blp.response(200, UnitAddressOut)
    def get(self, request_id: int):
        """The address of the unit offered to the client (every view is logged)."""
        request, address = perpetrator.unit_address(db.session, current_actor(), request_id)
        return {"request_id": request.id, **address}


@blp.route("/perpetrator-requests/<int:request_id>/withdraw")
class Withdraw(MethodView):
    @requires(Permission.PERP_REQUEST)
    @blp.response(200, RequestServiceDetailOut)
    def post(self, request_id: int):
        """Withdraw one's request (before the client moves in); a unit held for it is freed."""
        return perpetrator.withdraw(db.session, current_actor(), request_id)


@blp.route("/perpetrator-requests/<int:request_id>/accept")
class Accept(MethodView):
    @requires(Permission.PERP_REQUEST)
    @blp.response(200, RequestServiceDetailOut)
    def post(self, request_id: int):
        """The client accepts the unit offered."""
        return perpetrator.accept(db.session, current_actor(), request_id)


# The housing side ----------------------------------------------------------------------------------

@blp.route("/perpetrator-queue")
class Queue(MethodView):
    @requires(Permission.MATCH_BATCH)
    @blp.arguments(QueueQuery, location="query")
    @blp.response(200, RequestHousingOut(many=True))
    def get(self, query):
        """Every request: open ones first, waiting longest first."""
        return perpetrator.queue(db.session, current_actor(), **query)


@blp.route("/perpetrator-queue/patterns")
class Patterns(MethodView):
    @requires(Permission.MATCH_BATCH)
    @blp.response(200, PatternFlagOut(many=True))
    def get(self):
        """Patterns of the last 30 days that look like probing: one client under several victim references,
        or one reference withdrawn and filed again many times."""
        return perpetrator.pattern_flags(db.session, current_actor())


@blp.route("/perpetrator-queue/<int:request_id>")
class QueueItem(MethodView):
    @requires(Permission.PERP_LINKED)
    @blp.response(200, RequestHousingDetailOut)
    def get(self, request_id: int):
        """One request with its life (the victim's housing worker: requests linked to their cases)."""
        return perpetrator.housing_view(db.session, current_actor(), request_id)


@blp.route("/perpetrator-queue/<int:request_id>/suggestions")
class Suggestions(MethodView):
    @requires(Permission.MATCH_BATCH)
    @blp.arguments(SuggestQuery, location="query")
    @blp.response(200, SuggestionsOut)
    def get(self, query, request_id: int):
        """Free perpetrator units kept from the victim's places, best first, and why the others are ruled out."""
        return perpetrator.suggest_units(db.session, current_actor(), request_id, top=query["top"]).suggestions


@blp.route("/perpetrator-queue/<int:request_id>/match")
class Match(MethodView):
    @requires(Permission.MATCH_BATCH)
    @blp.arguments(MatchIn)
    @blp.response(200, RequestHousingDetailOut)
    def post(self, data, request_id: int):
        """Approve a match: the perpetrator unit is offered (checked by the engine's hard rules)."""
        return perpetrator.match(db.session, current_actor(), request_id, data["unit_id"])


@blp.route("/perpetrator-queue/<int:request_id>/accept")
class QueueAccept(MethodView):
    @requires(Permission.MATCH_BATCH)
    @blp.response(200, RequestHousingDetailOut)
    def post(self, request_id: int):
        """Record the client's acceptance of the unit."""
        return perpetrator.accept(db.session, current_actor(), request_id)


@blp.route("/perpetrator-queue/<int:request_id>/move-in")
class MoveIn(MethodView):
    @requires(Permission.MATCH_BATCH)
    @blp.arguments(MoveInIn)
    @blp.response(200, RequestHousingDetailOut)
    def post(self, data, request_id: int):
        """Record the client moving in; the unit becomes occupied."""
        return perpetrator.move_in(db.session, current_actor(), request_id, data["moved_in_on"])


@blp.route("/perpetrator-queue/<int:request_id>/move-out")
class MoveOut(MethodView):
    @requires(Permission.MATCH_BATCH)
    @blp.arguments(MoveOutIn)
    @blp.response(200, RequestHousingDetailOut)
    def post(self, data, request_id: int):
        """Record the client moving out; the unit goes void while it is made ready."""
        return perpetrator.move_out(db.session, current_actor(), request_id, data["moved_out_on"],
                                    note=data["note"])


@blp.route("/perpetrator-queue/<int:request_id>/safe-distance")
class SafeDistance(MethodView):
    @requires(Permission.PERP_LINKED)
    @blp.arguments(SafeDistanceIn)
    @blp.response(200, RequestHousingDetailOut)
    def post(self, data, request_id: int):
        """Raise the distance kept between the perpetrator's unit and the victim's places."""
        return perpetrator.set_safe_km(db.session, current_actor(), request_id, data["safe_km"])


@blp.route("/perpetrator-queue/<int:request_id>/flag-unsafe")
class FlagUnsafe(MethodView):
    @requires(Permission.PERP_LINKED)
    @blp.arguments(FlagUnsafeIn)
    @blp.response(200, RequestHousingDetailOut)
    def post(self, data, request_id: int):
        """Flag the request unsafe: it is closed (reason unsafe_for_victim) and its unit is freed."""
        return perpetrator.flag_unsafe(db.session, current_actor(), request_id, data["reason"])


@blp.route("/perpetrator-queue/<int:request_id>/close")
class Close(MethodView):
    @requires(Permission.MATCH_BATCH)
    @blp.arguments(CloseRequestIn)
    @blp.response(200, RequestHousingDetailOut)
    def post(self, data, request_id: int):
        """Close any open request with a coded reason; its unit is freed. The perpetrator service sees it
        closed by the Safe Home service, never why."""
        return perpetrator.close(db.session, current_actor(), request_id, data["reason"], data["note"])


@blp.route("/households/<int:household_id>/perpetrator-requests")
class Linked(MethodView):
    @requires(Permission.PERP_LINKED)
    @blp.response(200, RequestHousingOut(many=True))
    def get(self, household_id: int):
        """The perpetrator requests linked to a victim's case."""
        return perpetrator.linked_to_case(db.session, current_actor(), household_id)
