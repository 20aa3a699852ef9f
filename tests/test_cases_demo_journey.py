"""The demo world carries the rest of the journey: installs, Housing Options requests, move-on plans, outcomes."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from safehome.codes import HousingOptionsState, SanctuaryState
from safehome.models import HousingOptionsRequest, MoveOnPlan, OutcomeMeasure, SanctuaryInstall
from safehome.services import SYSTEM, demo, move_on, sanctuary

TODAY = date(2026, 11, 20)


def test_demo_journey_is_loaded_through_the_rules(db):
    result = demo.load_demo(db.session, SYSTEM, password="correct horse battery staple", today=TODAY)
    db.session.commit()
    assert result.loaded and result.counts["sanctuary_installs"] == 3 and result.counts["outcome_sets"] == 3

    def count(model, *where):
        return db.session.scalar(select(func.count()).select_from(model).where(*where))

    assert count(SanctuaryInstall, SanctuaryInstall.state == SanctuaryState.FIRE_SAFETY_CHECKED) == 2
    assert sanctuary.missed_reviews_count(db.session, TODAY) == 4  # 7 months on: both reviews of two installs
    assert count(HousingOptionsRequest, HousingOptionsRequest.state == HousingOptionsState.REQUESTED) == 1
    assert count(MoveOnPlan) == result.counts["placements_moved_in"] and move_on.without_plan(db.session) == []
    assert count(OutcomeMeasure) == 3 * (2 + 4)
    again = demo.load_demo(db.session, SYSTEM, password="correct horse battery staple", today=TODAY)
    assert not again.loaded and count(SanctuaryInstall) == 3
