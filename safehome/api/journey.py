"""The API for the rest of the housing journey: sanctuary installs, Housing Options, move-on, outcomes, closing.

Each operation declares its permission; the services scope the records (a
Housing Options officer reaches only cases sent to Housing Options, other
roles outside the journey none), and a record outside the scope is 404.
No answer here carries an address or a location.
"""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from safehome.auth_session import current_actor
from safehome.codes import HousingOptionsState
from safehome.extensions import db
from safehome.permissions import Permission, requires
from safehome.schemas.journey import (
    CaseStatusOut,
    CloseIn,
    HousingOptionsAnswerIn,
    HousingOptionsDecisionIn,
    HousingOptionsDecisionOut,
    HousingOptionsQuery,
    HousingOptionsQueueOut,
    HousingOptionsRequestIn,
    HousingOptionsRequestOut,
    MoveOnBlockIn,
    MoveOnBlockOut,
    MoveOnClearIn,
    MovedOnIn,
    MoveOnPlanIn,
    MoveOnPlanOut,
    OutcomeOut,
    OutcomesIn,
    ReopenIn,
    SanctuaryInstallOut,
    SanctuaryRequestIn,
    SanctuaryStepIn,
    SanctuaryWorkIn,
    SanctuaryWorkOut,
    TimelinessOut,
)
from safehome.services import cases, housing_options, move_on, outcomes, sanctuary

blp = Blueprint("api_journey", __name__, url_prefix="/api/v1",
                description="Sanctuary installs, Housing Options, move-on, outcome measures, closing cases")


# Sanctuary installs --------------------------------------------------------------

@blp.route("/households/<int:household_id>/sanctuary-installs")
class HouseholdInstalls(MethodView):
    @requires(Permission.CASE_READ)
    @blp.response(200, SanctuaryInstallOut(many=True))
    def get(self, household_id: int):
        """The case's sanctuary installs, newest first."""
        return sanctuary.installs_for(db.session, current_actor(), household_id)

    @requires(Permission.SANCTUARY_WRITE)
    @blp.arguments(SanctuaryRequestIn)
    @blp.response(201, SanctuaryInstallOut)
    def post(self, data, household_id: int):
        """Request a sanctuary install for an open case."""
        return sanctuary.request_install(db.session, current_actor(), household_id, data["requested_on"])


@blp.route("/sanctuary-installs/<int:install_id>")
class Install(MethodView):
    @requires(Permission.CASE_READ)
    @blp.response(200, SanctuaryInstallOut)
    def get(self, install_id: int):
        """One sanctuary install with its works and reviews."""
        return sanctuary.get_install(db.session, current_actor(), install_id)


@blp.route("/sanctuary-installs/<int:install_id>/steps")
class InstallSteps(MethodView):
    @requires(Permission.SANCTUARY_WRITE)
    @blp.arguments(SanctuaryStepIn)
    @blp.response(200, SanctuaryInstallOut)
    def post(self, data, install_id: int):
        """Move the install to its next step (409 naming both states if the step cannot follow)."""
        to = data.pop("to")
        return sanctuary.advance(db.session, current_actor(), install_id, to, data)


@blp.route("/sanctuary-installs/<int:install_id>/works")
class InstallWorks(MethodView):
    @requires(Permission.SANCTUARY_WRITE)
    @blp.arguments(SanctuaryWorkIn)
    @blp.response(201, SanctuaryWorkOut)
    def post(self, data, install_id: int):
        """Add an item of work."""
        return sanctuary.add_work(db.session, current_actor(), install_id, **data)


# Housing Options -----------------------------------------------------------------

@blp.route("/housing-options/requests")
class HousingOptionsQueue(MethodView):
    @requires(Permission.HO_DECIDE)
    @blp.arguments(HousingOptionsQuery, location="query")
    @blp.response(200, HousingOptionsQueueOut)
    def get(self, query):
        """The Housing Options queue (default: waiting for an answer), oldest first, a page at a time."""
        state = None if query["state"] == "all" else HousingOptionsState(query["state"])
        return housing_options.queue(db.session, current_actor(), state, page=query["page"],
                                     per_page=query["per_page"])


@blp.route("/households/<int:household_id>/housing-options-requests")
class HouseholdHousingOptions(MethodView):
    @requires(Permission.CASE_READ)
    @blp.response(200, HousingOptionsRequestOut(many=True))
    def get(self, household_id: int):
        """The case's Housing Options requests, newest first, with their answers and decisions."""
        cases.household_for(db.session, current_actor(), household_id, housing_options=True)
        return housing_options.requests_for_household(db.session, household_id)

    @requires(Permission.HO_REQUEST)
    @blp.arguments(HousingOptionsRequestIn)
    @blp.response(201, HousingOptionsRequestOut)
    def post(self, data, household_id: int):
        """Send the case to Housing Options."""
        return housing_options.send_request(db.session, current_actor(), household_id, data["kind"],
                                            data.get("other_solution"), data.get("other_detail"), data.get("note"))


@blp.route("/housing-options/requests/<int:request_id>")
class HousingOptionsOne(MethodView):
    @requires(Permission.CASE_READ)
    @blp.response(200, HousingOptionsRequestOut)
    def get(self, request_id: int):
        """One request (the look is audited)."""
        return housing_options.view_request(db.session, current_actor(), request_id)


@blp.route("/housing-options/requests/<int:request_id>/answer")
class HousingOptionsAnswer(MethodView):
    @requires(Permission.HO_DECIDE)
    @blp.arguments(HousingOptionsAnswerIn)
    @blp.response(200, HousingOptionsRequestOut)
    def post(self, data, request_id: int):
        """Confirm or refuse a waiting request, with the day and the reason."""
        return housing_options.answer(db.session, current_actor(), request_id, data["outcome"], data["on"],
                                      data.get("reason"), other_solution=data.get("other_solution"))


@blp.route("/housing-options/requests/<int:request_id>/decisions")
class HousingOptionsDecisions(MethodView):
    @requires(Permission.HO_DECIDE)
    @blp.arguments(HousingOptionsDecisionIn)
    @blp.response(201, HousingOptionsDecisionOut)
    def post(self, data, request_id: int):
        """Record a decision (the duty owed, a transfer approved...) on an answered request."""
        return housing_options.record_decision(db.session, current_actor(), request_id, data["decision"],
                                               data["decided_on"], data.get("note"))


@blp.route("/housing-options/requests/<int:request_id>/withdraw")
class HousingOptionsWithdraw(MethodView):
    @requires(Permission.HO_REQUEST)
    @blp.response(200, HousingOptionsRequestOut)
    def post(self, request_id: int):
        """Withdraw a request not yet answered."""
        return housing_options.withdraw(db.session, current_actor(), request_id)


# Move-on -------------------------------------------------------------------------

@blp.route("/households/<int:household_id>/move-on-plans")
class HouseholdPlans(MethodView):
    @requires(Permission.CASE_READ)
    @blp.response(200, MoveOnPlanOut(many=True))
    def get(self, household_id: int):
        """The case's move-on plans, newest first."""
        return move_on.plans_for(db.session, current_actor(), household_id)

    @requires(Permission.MOVE_ON_WRITE)
    @blp.arguments(MoveOnPlanIn)
    @blp.response(201, MoveOnPlanOut)
    def post(self, data, household_id: int):
        """Make the move-on plan for the household's current stay in temporary accommodation."""
        return move_on.create_plan(db.session, current_actor(), household_id, data["target_on"], data["ready_on"])


@blp.route("/move-on-plans/<int:plan_id>")
class Plan(MethodView):
    @requires(Permission.CASE_READ)
    @blp.response(200, MoveOnPlanOut)
    def get(self, plan_id: int):
        """One move-on plan."""
        return move_on.get_plan(db.session, current_actor(), plan_id)

    @requires(Permission.MOVE_ON_WRITE)
    @blp.arguments(MoveOnPlanIn)
    @blp.response(200, MoveOnPlanOut)
    def put(self, data, plan_id: int):
        """Set the target date and the day the household was ready to move."""
        return move_on.update_plan(db.session, current_actor(), plan_id, **data)


@blp.route("/move-on-plans/<int:plan_id>/blockers")
class PlanBlockers(MethodView):
    @requires(Permission.MOVE_ON_WRITE)
    @blp.arguments(MoveOnBlockIn)
    @blp.response(201, MoveOnBlockOut)
    def post(self, data, plan_id: int):
        """Add a blocking reason."""
        return move_on.add_blocker(db.session, current_actor(), plan_id, data["reason"], data["since"],
                                   data.get("detail"))


@blp.route("/move-on-plans/<int:plan_id>/blockers/<int:block_id>/clear")
class PlanBlockerClear(MethodView):
    @requires(Permission.MOVE_ON_WRITE)
    @blp.arguments(MoveOnClearIn)
    @blp.response(200, MoveOnBlockOut)
    def post(self, data, plan_id: int, block_id: int):
        """Clear a blocking reason on a day."""
        return move_on.clear_blocker(db.session, current_actor(), block_id, data["cleared_on"], plan_id=plan_id)


@blp.route("/move-on-plans/<int:plan_id>/moved-on")
class PlanMovedOn(MethodView):
    @requires(Permission.MOVE_ON_WRITE)
    @blp.arguments(MovedOnIn)
    @blp.response(200, MoveOnPlanOut)
    def post(self, data, plan_id: int):
        """Record the move on (the placement moves out)."""
        return move_on.record_moved_on(db.session, current_actor(), plan_id, **data)


@blp.route("/move-on/timeliness")
class Timeliness(MethodView):
    @requires(Permission.REPORTS)
    @blp.response(200, TimelinessOut)
    def get(self):
        """Days from moving in to moving on against the target, by unit type; everyone past target, longest first."""
        return {"by_unit_type": move_on.timeliness_by_unit_type(db.session),
                "over_target": move_on.over_target(db.session)}


# Outcomes and closing ------------------------------------------------------------

@blp.route("/households/<int:household_id>/outcomes")
class Outcomes(MethodView):
    @requires(Permission.CASE_READ)
    @blp.response(200, OutcomeOut(many=True))
    def get(self, household_id: int):
        """The case's outcome measures, by day."""
        return outcomes.outcomes_for(db.session, current_actor(), household_id)

    @requires(Permission.CASE_WRITE)
    @blp.arguments(OutcomesIn)
    @blp.response(201, OutcomeOut(many=True))
    def post(self, data, household_id: int):
        """Record the measures taken at one stage on one day."""
        return outcomes.record_outcomes(db.session, current_actor(), household_id, data["stage"],
                                        data["measured_on"], data["answers"])


@blp.route("/households/<int:household_id>/close")
class Close(MethodView):
    @requires(Permission.CASE_WRITE)
    @blp.arguments(CloseIn)
    @blp.response(200, CaseStatusOut)
    def post(self, data, household_id: int):
        """Close the case, with the reason."""
        return cases.close_case(db.session, current_actor(), household_id, data["reason"], data.get("note"))


@blp.route("/households/<int:household_id>/reopen")
class Reopen(MethodView):
    @requires(Permission.CASE_WRITE)
    @blp.arguments(ReopenIn)
    @blp.response(200, CaseStatusOut)
    def post(self, data, household_id: int):
        """Reopen a closed case."""
        return cases.reopen_case(db.session, current_actor(), household_id, data.get("note"))
