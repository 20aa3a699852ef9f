"""Outcome measures: recording at intake, review and exit (the rates: tests/test_reports.py)."""
from __future__ import annotations

from datetime import date

import pytest

from safehome.codes import OutcomeMeasureKind as K
from safehome.errors import NotFound, ValidationError
from safehome.services import outcomes
from tests.helpers import post_form
from tests.journey_helpers import actor, make_household  # noqa: F401

TODAY = date(2026, 11, 20)


@pytest.fixture
def worker(make_user):
    return make_user("housing_worker")


def _record(db, worker, household, stage, day, **answers):
    rows = outcomes.record_outcomes(db.session, actor(worker), household.id, stage, day, answers, today=TODAY)
    db.session.commit()
    return rows


def test_each_measure_keeps_its_day_and_who_recorded_it(db, worker, make_household):
    household = make_household()
    rows = _record(db, worker, household, "intake", date(2026, 1, 5), feels_safe=2, confidence=3,
                   maintained_independent=None)
    assert [(r.kind, r.score, r.measured_on, r.recorded_by_id) for r in rows] == [
        (K.FEELS_SAFE, 2, date(2026, 1, 5), worker.id), (K.CONFIDENCE, 3, date(2026, 1, 5), worker.id)]
    assert [m.stage.value for m in outcomes.outcomes_for(db.session, actor(worker), household.id)] == ["intake"] * 2


def test_every_bad_answer_is_named(db, worker, make_household):
    with pytest.raises(ValidationError) as refused:
        outcomes.record_outcomes(db.session, actor(worker), make_household().id, "later", date(2026, 12, 25),
                                 {"feels_safe": 6, "satisfaction": True, "moved_on_independent": 1, "luck": 3},
                                 today=TODAY)
    assert set(refused.value.as_dict()) == {"stage", "measured_on", "feels_safe", "satisfaction",
                                            "moved_on_independent", "luck"}
    with pytest.raises(ValidationError) as nothing:
        outcomes.record_outcomes(db.session, actor(worker), make_household().id, "exit", TODAY, {}, today=TODAY)
    assert set(nothing.value.as_dict()) == {"answers"}


def test_the_form_records_measures(client, db, worker, make_household, login):
    household = make_household()
    login(worker)
    response = post_form(client, f"/cases/{household.id}/outcomes",
                         {"stage": "review", "measured_on": "2026-06-01", "feels_safe": "4",
                          "maintained_independent": "yes"}, page=f"/cases/{household.id}/journey", follow=True)
    text = response.get_data(as_text=True)
    assert "Outcome measures recorded." in text and "4 of 5" in text and "Maintained independent living" in text
    bad = post_form(client, f"/cases/{household.id}/outcomes", {"stage": "review", "measured_on": "2026-06-01",
                                                               "confidence": "x"},
                    page=f"/cases/{household.id}/journey", follow=True).get_data(as_text=True)
    assert "confidence: give a score from 1 to 5" in bad


@pytest.mark.parametrize("role, read, write", [
    ("housing_worker", 200, 201), ("manager", 200, 403), ("housing_options", 404, 403), ("provider", 404, 403),
    ("perpetrator_service", 403, 403), ("admin", 403, 403),
])
def test_api_per_role(client, make_household, make_user, token_for, role, read, write):
    household = make_household()
    headers = token_for(make_user(role))
    assert client.get(f"/api/v1/households/{household.id}/outcomes", headers=headers).status_code == read
    response = client.post(f"/api/v1/households/{household.id}/outcomes", headers=headers,
                           json={"stage": "intake", "measured_on": "2026-01-05", "answers": {"feels_safe": 2}})
    assert response.status_code == write


def test_api_names_bad_fields(client, worker, make_household, token_for):
    household = make_household()
    response = client.post(f"/api/v1/households/{household.id}/outcomes", headers=token_for(worker),
                           json={"stage": "intake", "measured_on": "2026-01-05", "answers": {"feels_safe": "lots"}})
    assert response.status_code == 422 and response.get_json()["errors"]["json"] == {
        "feels_safe": ["give a score from 1 to 5"]}


def test_out_of_scope_roles_get_not_found(db, make_household, make_user):
    with pytest.raises(NotFound):
        outcomes.outcomes_for(db.session, actor(make_user("provider")), make_household().id)
