"""A hand-built set of cases with known answers for 2026/27 Q1 (1 April to 30 June 2026).

The clocks went forward on 29 March 2026, so the quarter begins at
2026-03-31 23:00 UTC and ends at 2026-06-30 23:00 UTC. Every figure the
tests expect is worked out in the comments beside the rows that make it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal

from safehome.codes import (
    CaseStatus,
    CloseReason,
    DecisionBy,
    DeclineReason,
    Gender,
    HousingOptionsKind,
    HousingOptionsState,
    OtherHousingSolution,
    OutcomeMeasureKind,
    OutcomeStage,
    PlacementState,
    ReferralSource,
    SanctuaryState,
    Tenure,
    UnitStatus,
    UnitType,
)
from safehome.models import (
    CaseStatusChange,
    Household,
    HousingOptionsRequest,
    Member,
    MoveOnPlan,
    OutcomeMeasure,
    Placement,
    Provider,
    Referral,
    SanctuaryInstall,
    Site,
    Unit,
    UnitStatusChange,
)


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


LONG_AGO = utc(2025, 1, 1)


@dataclass
class World:
    session: object
    cases: dict[str, Household] = field(default_factory=dict)
    site: Site | None = None
    units: int = 0

    def case(self, name: str, opened: datetime, *, closed: datetime | None = None, reason: CloseReason | None = None,
             born: date = date(1990, 1, 1), gender: Gender = Gender.FEMALE, equality: dict | None = None,
             needs: list | None = None, languages: list | None = None, tenure: Tenure = Tenure.SOCIAL_RENT_COUNCIL,
             referral: bool = True, repeat: bool = False) -> Household:
        household = Household(reference=f"FVS-{name}", opened_at=opened, closed_at=closed, close_reason=reason,
                              status=CaseStatus.CLOSED if closed else CaseStatus.OPEN, tenure_at_entry=tenure,
                              equality=equality or {}, needs=needs or [], languages=languages or [])
        household.members = [Member(position=0, name="Test Person", birth_date=born, gender=gender)]
        self.session.add(household)
        self.session.flush()
        if referral:
            self.referral(household, opened, repeat=repeat)
        self.cases[name] = household
        return household

    def referral(self, household: Household, at: datetime, *, repeat: bool = False) -> None:
        self.session.add(Referral(household_id=household.id, reference=household.reference,
                                  source=ReferralSource.FAMILY_VICTIM_SURVIVOR, received_at=at, is_repeat=repeat))

    def status(self, household: Household, status: CaseStatus, at: datetime, reason: CloseReason | None = None):
        self.session.add(CaseStatusChange(household_id=household.id, status=status, at=at,
                                          reason=reason if status == CaseStatus.CLOSED else None))

    def unit(self, unit_type: UnitType) -> Unit:
        if self.site is None:
            provider = Provider(name="Report test provider")
            self.site = Site(provider=provider, name="Report site", area="Leicester",
                             address={"line1": "1 Hidden Road"}, location={"lat": 52.6, "lon": -1.1})
            self.session.add(self.site)
        self.units += 1
        unit = Unit(site=self.site, name=f"Unit {self.units}", type=unit_type, bedspaces=2, created_at=LONG_AGO,
                    weekly_cost=Decimal("0"))
        self.session.add(unit)
        self.session.flush()
        return unit

    def placement(self, household: Household, unit_type: UnitType, state: PlacementState, *,
                  offered: datetime | None = None, decided: datetime | None = None, moved_in: date | None = None,
                  moved_out: date | None = None, exit_tenure: Tenure | None = None, by: DecisionBy | None = None,
                  reason: DeclineReason | None = None, target: date | None = None) -> Placement:
        placement = Placement(household_id=household.id, unit_id=self.unit(unit_type).id, state=state,
                              offered_at=offered, decided_at=decided, decision_by=by, decline_reason=reason,
                              moved_in_on=moved_in, moved_out_on=moved_out, exit_tenure=exit_tenure)
        self.session.add(placement)
        self.session.flush()
        if target is not None:
            self.session.add(MoveOnPlan(household_id=household.id, placement_id=placement.id, target_on=target))
        return placement

    def measure(self, household: Household, stage: OutcomeStage, kind: OutcomeMeasureKind, on: date,
                score: int | None = None, achieved: bool | None = None) -> None:
        self.session.add(OutcomeMeasure(household_id=household.id, stage=stage, kind=kind, measured_on=on,
                                        score=score, achieved=achieved))

    def housing_options(self, household: Household, kind: HousingOptionsKind, state: HousingOptionsState,
                        answered: date, solution: OtherHousingSolution | None = None,
                        detail: str | None = None) -> None:
        self.session.add(HousingOptionsRequest(household_id=household.id, kind=kind, state=state,
                                               requested_at=utc(2026, 3, 1), answered_on=answered,
                                               other_solution=solution, other_detail=detail))


def build_world(session) -> World:
    w = World(session)
    # Referrals and cases opened around the quarter's edges.
    h1 = w.case("H1", utc(2026, 3, 31, 22, 30), languages=["urdu", "english"])  # 23:30 BST 31 March: Q4
    h2 = w.case("H2", utc(2026, 3, 31, 23, 30), born=date(1966, 6, 30),  # 00:30 BST 1 April: Q1; 60 on 30 June
                equality={"ethnicity": "black", "sex": "female"}, languages=["english", "polish"])
    h3 = w.case("H3", utc(2026, 6, 30, 22, 59), born=date(2005, 7, 1), gender=Gender.MALE,  # 23:59 BST 30 June: Q1
                equality={"ethnicity": "white_british", "sex": "male"})
    w.case("H4", utc(2026, 6, 30, 23, 0))  # 00:00 BST 1 July: Q2
    # A repeat: the same reference referred again within 12 months, as a new case.
    a = w.case("REP", utc(2025, 9, 1, 10), closed=utc(2025, 10, 1, 10), reason=CloseReason.NO_LONGER_NEEDED)
    w.status(a, CaseStatus.CLOSED, utc(2025, 10, 1, 10), CloseReason.NO_LONGER_NEEDED)
    b = Household(reference="FVS-REP", opened_at=utc(2026, 5, 1, 9), status=CaseStatus.OPEN,
                  tenure_at_entry=Tenure.PRIVATE_RENT, equality={"ethnicity": "white_other"}, needs=[], languages=[])
    b.members = [Member(position=0, birth_date=date(2000, 6, 30), gender=Gender.FEMALE)]  # 26 on 30 June
    session.add(b)
    session.flush()
    w.referral(b, utc(2026, 5, 1, 9), repeat=True)
    w.cases["B"] = b
    # C: open at the start, closed, reopened and closed again inside the quarter (once opened, once closed).
    c = w.case("C", utc(2025, 6, 1, 9), closed=utc(2026, 4, 20, 9), reason=CloseReason.OWN_HOME_SECURED,
               equality={"ethnicity": "prefer_not_to_say", "disability": "yes"})
    w.status(c, CaseStatus.CLOSED, utc(2026, 4, 5, 9), CloseReason.OWN_HOME_SECURED)
    w.status(c, CaseStatus.OPEN, utc(2026, 4, 10, 9))
    w.status(c, CaseStatus.CLOSED, utc(2026, 4, 20, 9), CloseReason.OWN_HOME_SECURED)
    c.reopened_at = utc(2026, 4, 10, 9)
    # D: closed in the quarter, reopened after it (still counts as closed in Q1).
    d = w.case("D", utc(2025, 5, 1, 9), tenure=Tenure.PRIVATE_RENT, equality={"sexual_orientation": "bisexual"})
    w.status(d, CaseStatus.CLOSED, utc(2026, 5, 1, 9), CloseReason.MOVED_ON)
    w.status(d, CaseStatus.OPEN, utc(2026, 8, 1, 9))
    d.reopened_at = utc(2026, 8, 1, 9)
    # G: closed before the quarter and reopened after it: closed all quarter, so not a client of Q1.
    g = w.case("G", utc(2025, 5, 1, 9))
    w.status(g, CaseStatus.CLOSED, utc(2026, 2, 1, 9), CloseReason.LOST_CONTACT)
    w.status(g, CaseStatus.OPEN, utc(2026, 7, 15, 9))
    e = w.case("E", utc(2026, 1, 5, 9), needs=["nrpf"])
    f = w.case("F", utc(2026, 1, 20, 9), equality={"gender_reassignment": "yes"})

    # Own homes secured: fire-safety checked in the quarter (H2), or before it (H3), or not yet (B).
    session.add_all([
        SanctuaryInstall(household_id=h2.id, state=SanctuaryState.FIRE_SAFETY_CHECKED, requested_on=date(2026, 4, 1),
                         installed_on=date(2026, 4, 10), fire_checked_on=date(2026, 4, 12)),
        SanctuaryInstall(household_id=h3.id, state=SanctuaryState.FIRE_SAFETY_CHECKED, requested_on=date(2026, 3, 1),
                         installed_on=date(2026, 3, 25), fire_checked_on=date(2026, 3, 31)),
        SanctuaryInstall(household_id=b.id, state=SanctuaryState.INSTALLED, requested_on=date(2026, 5, 2),
                         installed_on=date(2026, 5, 20))])
    # Housing Options: confirmed answers in the quarter count; refused or answered outside do not.
    w.housing_options(h2, HousingOptionsKind.HOMELESSNESS_APPLICATION, HousingOptionsState.CONFIRMED, date(2026, 4, 15))
    w.housing_options(h3, HousingOptionsKind.HOMELESSNESS_APPLICATION, HousingOptionsState.REFUSED, date(2026, 4, 16))
    w.housing_options(h2, HousingOptionsKind.HOUSING_TRANSFER, HousingOptionsState.CONFIRMED, date(2026, 6, 30))
    w.housing_options(h3, HousingOptionsKind.PRIVATE_RENTAL, HousingOptionsState.CONFIRMED, date(2026, 7, 1))
    # Other housing solutions: counted by their code, never by the worker's detail.
    w.housing_options(e, HousingOptionsKind.OTHER, HousingOptionsState.CONFIRMED, date(2026, 5, 1),
                      OtherHousingSolution.FAMILY_FRIENDS, "Moved in with her sister")
    w.housing_options(f, HousingOptionsKind.OTHER, HousingOptionsState.CONFIRMED, date(2026, 5, 2),
                      OtherHousingSolution.FAMILY_FRIENDS)
    w.housing_options(b, HousingOptionsKind.OTHER, HousingOptionsState.CONFIRMED, date(2026, 5, 3),
                      OtherHousingSolution.OTHER, "Supported lodgings")

    # Placements. H2: refuge, offered and accepted in Q1, moved in 2 April, out 1 June by its 15 June target.
    w.placement(h2, UnitType.REFUGE, PlacementState.MOVED_OUT, offered=utc(2026, 4, 1, 10), decided=utc(2026, 4, 1, 12),
                by=DecisionBy.HOUSEHOLD, moved_in=date(2026, 4, 2), moved_out=date(2026, 6, 1),
                exit_tenure=Tenure.SOCIAL_RENT_HA, target=date(2026, 6, 15))
    # H3 into a move-on flat: not temporary accommodation.
    w.placement(h3, UnitType.MOVE_ON, PlacementState.MOVED_IN, offered=utc(2026, 4, 4, 10), decided=utc(2026, 4, 4, 11),
                by=DecisionBy.HOUSEHOLD, moved_in=date(2026, 4, 5))
    # B moved into emergency accommodation on 31 March: Q4.
    w.placement(b, UnitType.EMERGENCY, PlacementState.MOVED_OUT, offered=utc(2026, 3, 30, 10),
                decided=utc(2026, 3, 30, 11), by=DecisionBy.HOUSEHOLD, moved_in=date(2026, 3, 31),
                moved_out=date(2026, 3, 31), exit_tenure=Tenure.PRIVATE_RENT)
    # E: dispersed since 10 January, moved on 1 May after its 1 April target (111 days).
    w.placement(e, UnitType.DISPERSED, PlacementState.MOVED_OUT, offered=utc(2026, 1, 8, 10), decided=utc(2026, 1, 8, 11),
                by=DecisionBy.HOUSEHOLD, moved_in=date(2026, 1, 10), moved_out=date(2026, 5, 1),
                exit_tenure=Tenure.SOCIAL_RENT_COUNCIL, target=date(2026, 4, 1))
    # D: emergency from 1 June 2025 to 28 April 2026 (331 days), no plan; moved on to a housing association home.
    w.placement(d, UnitType.EMERGENCY, PlacementState.MOVED_OUT, offered=utc(2025, 5, 30, 10),
                decided=utc(2025, 5, 30, 11), by=DecisionBy.HOUSEHOLD, moved_in=date(2025, 6, 1),
                moved_out=date(2026, 4, 28), exit_tenure=Tenure.SOCIAL_RENT_HA)
    # F: in emergency accommodation since 1 February, target 1 May passed: past target at the quarter's end.
    w.placement(f, UnitType.EMERGENCY, PlacementState.MOVED_IN, offered=utc(2026, 1, 30, 10),
                decided=utc(2026, 1, 30, 11), by=DecisionBy.HOUSEHOLD, moved_in=date(2026, 2, 1), target=date(2026, 5, 1))
    # Offers made in Q1 that did not become homes.
    w.placement(h3, UnitType.REFUGE, PlacementState.DECLINED, offered=utc(2026, 4, 3, 10), decided=utc(2026, 4, 3, 12),
                by=DecisionBy.PROVIDER, reason=DeclineReason.PROVIDER_REFUSED)
    w.placement(b, UnitType.REFUGE, PlacementState.DECLINED, offered=utc(2026, 4, 4, 10), decided=utc(2026, 4, 4, 12),
                by=DecisionBy.HOUSEHOLD, reason=DeclineReason.AREA_UNSAFE)
    w.placement(f, UnitType.REFUGE, PlacementState.LAPSED, offered=utc(2026, 5, 1, 10))
    w.placement(e, UnitType.REFUGE, PlacementState.WITHDRAWN, offered=utc(2026, 5, 5, 10))
    w.placement(h1, UnitType.REFUGE, PlacementState.OFFERED, offered=utc(2026, 6, 29, 10))
    # Offered at 23:30 BST on 31 March: Q4, not counted.
    w.placement(h1, UnitType.SUPPORTED, PlacementState.DECLINED, offered=utc(2026, 3, 31, 22, 30),
                decided=utc(2026, 4, 1, 9), by=DecisionBy.HOUSEHOLD, reason=DeclineReason.PETS)

    # Outcomes measured at exit in the quarter.
    K, I, X = OutcomeMeasureKind, OutcomeStage.INTAKE, OutcomeStage.EXIT
    w.measure(h2, I, K.FEELS_SAFE, date(2026, 4, 1), 2)
    w.measure(h2, X, K.FEELS_SAFE, date(2026, 6, 1), 4)          # improved
    w.measure(h3, I, K.FEELS_SAFE, date(2026, 4, 1), 3)
    w.measure(h3, X, K.FEELS_SAFE, date(2026, 6, 2), 3)          # the same: not improved
    w.measure(b, X, K.FEELS_SAFE, date(2026, 6, 3), 5)           # no intake score: not measured
    w.measure(c, I, K.FEELS_SAFE, date(2025, 6, 2), 2)
    w.measure(c, X, K.FEELS_SAFE, date(2026, 4, 20), 5)          # an earlier exit in the quarter...
    w.measure(c, X, K.FEELS_SAFE, date(2026, 5, 20), 1)          # ...the latest counts: not improved
    w.measure(h2, X, K.SATISFACTION, date(2026, 6, 1), 5)
    w.measure(h3, X, K.SATISFACTION, date(2026, 6, 2), 4)
    w.measure(b, X, K.SATISFACTION, date(2026, 6, 3), 3)
    w.measure(e, X, K.SATISFACTION, date(2026, 3, 31), 5)        # last day of Q4
    w.measure(h2, X, K.MAINTAINED_INDEPENDENT, date(2026, 6, 1), achieved=True)
    w.measure(h3, X, K.MAINTAINED_INDEPENDENT, date(2026, 6, 2), achieved=False)

    # Voids: one refuge unit void for 5 days, another void for the last 3 days of the quarter.
    void_a, void_b = w.unit(UnitType.REFUGE), w.unit(UnitType.REFUGE)
    session.add_all([
        UnitStatusChange(unit_id=void_a.id, from_status=None, to_status=UnitStatus.AVAILABLE, at=LONG_AGO),
        UnitStatusChange(unit_id=void_a.id, from_status=UnitStatus.AVAILABLE, to_status=UnitStatus.VOID,
                         at=utc(2026, 6, 19, 23)),
        UnitStatusChange(unit_id=void_a.id, from_status=UnitStatus.VOID, to_status=UnitStatus.AVAILABLE,
                         at=utc(2026, 6, 24, 23)),
        UnitStatusChange(unit_id=void_b.id, from_status=None, to_status=UnitStatus.VOID, at=utc(2026, 6, 27, 23))])
    session.commit()
    return w
