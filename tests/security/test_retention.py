"""Retention: closed cases past the period are anonymised; every past return adds up as before."""
from __future__ import annotations

from sqlalchemy import select

from safehome.codes import CaseStatus
from safehome.extensions import db
from safehome.models import Assessment, Household, Referral
from safehome.services import SYSTEM, reports
from safehome.services.reports_base import Quarter
from safehome.services.retention import (
    ANON_PREFIX,
    anonymise_closed,
    anonymous_reference,
)


def _returns() -> dict:
    """Every report for each of the last twelve closed quarters, as the managers would see it. (The current
    quarter is counted up to the moment it is built, so its unit-days move between two builds.)"""
    quarter = Quarter.current().previous()
    built = {}
    for _ in range(12):
        for key in reports.REPORTS:
            built[(key, quarter)] = repr(reports.build(db.session, SYSTEM, key, quarter))
        quarter = quarter.previous()
    db.session.rollback()
    return built


def _snapshot() -> dict[int, tuple]:
    """Per closed case: reference, member names, address, referrer contacts, assessment notes."""
    found = {}
    for household in db.session.scalars(select(Household).where(Household.status == CaseStatus.CLOSED)):
        found[household.id] = (
            household.reference, [m.name for m in household.members], household.address is None,
            [r.referrer_contact for r in household.referrals], [r.reference for r in household.referrals],
            [a.notes for a in db.session.scalars(select(Assessment).where(Assessment.household_id == household.id))])
    db.session.rollback()
    return found


def test_anonymise_closed_keeps_the_returns_and_removes_the_people(world):
    runner = world.app.test_cli_runner()
    # Give old cases notes and a repeated reference, so there is something to remove and a repeat to keep.
    closed = list(db.session.scalars(select(Household).where(Household.status == CaseStatus.CLOSED)
                                     .order_by(Household.closed_at)))
    oldest, second = closed[0], closed[1]
    second.reference = oldest.reference
    for referral in second.referrals:
        referral.reference = oldest.reference
    db.session.add(Assessment(household_id=oldest.id, safe_to_stay="no", perpetrator_lives_there="no",
                              sanctuary_suitable="no", perpetrator_would_leave="no", options_considered=[],
                              notes="said where she would go"))
    db.session.commit()
    before_returns = _returns()
    before = _snapshot()
    open_before = [(h.id, h.reference) for h in db.session.scalars(select(Household).where(
        Household.status != CaseStatus.CLOSED))]

    dry = runner.invoke(args=["anonymise-closed", "--years", "1", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would be anonymised" in dry.output
    assert _snapshot() == before
    result = runner.invoke(args=["anonymise-closed", "--years", "1"])
    assert result.exit_code == 0, result.output
    count = int(result.output.split()[0])
    assert count > 0 and f"{count} closed case(s)" in dry.output

    after = _snapshot()
    anonymised = [hid for hid, row in after.items() if row[0].startswith(ANON_PREFIX)]
    assert len(anonymised) == count
    for hid in anonymised:
        reference, names, no_address, contacts, referral_refs, notes = after[hid]
        assert reference == anonymous_reference(before[hid][0], world.app.config["SAFEHOME_DATA_KEY"])
        assert set(referral_refs) == {reference}
        assert names and all(name is None for name in names)
        assert no_address and all(c is None for c in contacts) and all(n is None for n in notes)
    # The same reference gave the same hash: the repeat is still one person's repeat.
    assert after[oldest.id][0] == after[second.id][0]
    # Cases closed within the period, and every open case, are untouched.
    for hid, row in after.items():
        if hid not in anonymised:
            assert row == before[hid]
    assert [(h.id, h.reference) for h in db.session.scalars(select(Household).where(
        Household.status != CaseStatus.CLOSED))] == open_before
    # Every past return adds up exactly as before, and a second run has nothing to do.
    assert _returns() == before_returns
    again = runner.invoke(args=["anonymise-closed", "--years", "1"])
    assert again.output.startswith("0 closed case(s)")


def test_a_repeat_referral_count_survives(world):
    references = [r for r in db.session.scalars(select(Referral).where(Referral.is_repeat.is_(True)))]
    repeats = len(references)
    world.app.test_cli_runner().invoke(args=["anonymise-closed", "--years", "1"])
    assert len(list(db.session.scalars(select(Referral).where(Referral.is_repeat.is_(True))))) == repeats


def test_years_must_be_sensible(world):
    result = world.app.test_cli_runner().invoke(args=["anonymise-closed", "--years", "0"])
    assert result.exit_code != 0 and "years" in result.output
    assert anonymous_reference(" fvs-1 ", "k") == anonymous_reference("FVS-1", "k") != anonymous_reference("FVS-1", "j")


def test_default_period_is_the_setting(world):
    world.app.config["RETENTION_YEARS"] = 50
    result = world.app.test_cli_runner().invoke(args=["anonymise-closed", "--dry-run"])
    assert result.output.startswith("0 closed case(s)")
    assert anonymise_closed(db.session, SYSTEM, years=1, key="k", dry_run=True).cases > 0
