"""Case pages: who may open what, the referral form's messages, the case page, editing, audits."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from safehome.codes import AuditAction
from safehome.models import Assessment, AuditEvent, Household, Referral
from tests.helpers import csrf_token_from, post_form
from tests.referral_data import NOW_CASE, take

ROLES = ["housing_worker", "housing_options", "manager", "perpetrator_service", "provider", "admin"]
FORM = {
    "reference": "FVS-555", "source": "fvs", "received_at": "2025-03-10T09:30", "referrer_agency": "Duty desk",
    "members-0-name": "Sam", "members-0-birth_date": "1988-02-03", "members-0-gender": "female",
    "members-1-name": "", "members-1-birth_date": "2016-06-01", "members-1-gender": "male",
    "dash_score": "16", "pets": ["dog"], "needs": ["wheelchair"], "languages": ["english"],
    "address-line1": "2 Low Road", "address-town": "Leicester", "address-postcode": "LE5 1AB",
    "tenure_at_entry": "private_rent",
    "avoid-0-label": "His flat", "avoid-0-postcode": "LE2 7XY", "avoid-0-km": "12",
    "prefer-0-label": "School", "prefer-0-lat": "52.63", "prefer-0-lon": "-1.13", "prefer-0-km": "5",
    "prefer-0-weight": "5", "consent_to_share": "y", "equality-sex": "female", "equality-religion": "prefer_not_to_say",
}


@pytest.fixture
def case(db, make_user):
    return take(db, make_user(), now=NOW_CASE).household


PAGES = [
    ("/households/", {"housing_worker": 200, "housing_options": 200, "manager": 200, "perpetrator_service": 403,
                      "provider": 200, "admin": 403}),
    ("/households/new", {"housing_worker": 200, "housing_options": 403, "manager": 403, "perpetrator_service": 403,
                         "provider": 403, "admin": 403}),
    ("/households/history?reference=FVS-20250310", {"housing_worker": 200, "housing_options": 403, "manager": 403,
                                                    "perpetrator_service": 403, "provider": 403, "admin": 403}),
    ("/households/{id}", {"housing_worker": 200, "housing_options": 404, "manager": 200, "perpetrator_service": 403,
                          "provider": 404, "admin": 403}),
    ("/households/{id}/places", {"housing_worker": 200, "housing_options": 403, "manager": 403,
                                 "perpetrator_service": 403, "provider": 403, "admin": 403}),
    ("/households/{id}/edit", {"housing_worker": 200, "housing_options": 403, "manager": 403,
                               "perpetrator_service": 403, "provider": 403, "admin": 403}),
    ("/households/{id}/assessment", {"housing_worker": 200, "housing_options": 403, "manager": 403,
                                     "perpetrator_service": 403, "provider": 403, "admin": 403}),
]
TABLE = [(path, role, statuses[role]) for path, statuses in PAGES for role in ROLES]


@pytest.mark.parametrize("path, role, status", TABLE, ids=[f"{p} {r}" for p, r, _ in TABLE])
def test_every_page_for_every_role(client, make_user, login, case, path, role, status):
    login(make_user(role))
    assert client.get(path.format(id=case.id)).status_code == status


@pytest.mark.parametrize("path", ["/households/new", "/households/{id}/edit", "/households/{id}/assessment"])
def test_perpetrator_service_cannot_post_either(client, make_user, login, case, path):
    login(make_user("perpetrator_service"))
    html = client.get("/dashboard").get_data(as_text=True)
    response = client.post(path.format(id=case.id), data={**FORM, "csrf_token": csrf_token_from(html)})
    assert response.status_code == 403


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_good_referral_opens_a_case(client, db, make_user, login):
    login(make_user())
    response = post_form(client, "/households/new", FORM)
    assert response.status_code == 302
    household = db.session.scalars(select(Household)).one()
    assert response.headers["Location"].endswith(f"/households/{household.id}")
    assert household.reference == "FVS-555" and len(household.members) == 2 and household.pets == ["dog"]
    assert household.equality == {"sex": "female", "religion": "prefer_not_to_say"}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "opened a new case" in page and "FVS-555" in page and "Sam" in page


def test_every_mistake_on_the_form_is_named_at_its_field(client, db, make_user, login):
    login(make_user())
    bad = {**FORM, "reference": "555", "dash_score": "lots", "members-0-birth_date": "2015-01-01",
           "members-1-gender": "", "address-postcode": "", "avoid-0-km": "900", "prefer-0-lat": "10",
           "received_at": "2999-01-01T10:00", "source": ""}
    response = post_form(client, "/households/new", bad)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for field_id in ("reference", "dash_score", "members-0-birth_date", "members-1-gender", "address-postcode",
                     "avoid-0-km", "prefer-0-lat", "received_at", "source"):
        assert f'id="{field_id}-error"' in html, field_id
        assert f'href="#{field_id}"' in html, field_id
    assert "Not a valid integer value" in html and "the lead must be 16 or over" in html
    assert "Please correct 9 mistakes" in html
    assert _count(db, Household) == 0 and _count(db, Referral) == 0


def test_blank_rows_are_ignored_and_numbering_kept(client, db, make_user, login):
    login(make_user())
    # a blank first avoid row and a bad second one: the message lands on row 2 of the form
    form = {**FORM, "avoid-0-label": "", "avoid-0-postcode": "", "avoid-0-km": "",
            "avoid-1-label": "Gym", "avoid-1-postcode": "XX", "avoid-1-km": "3"}
    html = post_form(client, "/households/new", form).get_data(as_text=True)
    assert 'id="avoid-1-postcode-error"' in html and "is not a UK postcode" in html


def test_no_members_is_a_section_message(client, db, make_user, login):
    login(make_user())
    form = {k: v for k, v in FORM.items() if not k.startswith("members-")}
    response = post_form(client, "/households/new", form)
    assert response.status_code == 422
    assert 'id="section-members"' in response.get_data(as_text=True)


def test_history_fragment_lists_earlier_cases(client, db, make_user, login, case):
    login(make_user())
    html = client.get("/households/history?reference=fvs-20250310").get_data(as_text=True)
    assert "This reference has 1 earlier case" in html and f"/households/{case.id}" in html
    assert client.get("/households/history?reference=nonsense").get_data(as_text=True).strip() == ""


def test_case_page_is_audited_and_manager_is_read_only(client, db, make_user, login, case):
    manager = make_user("manager")
    login(manager)
    html = client.get(f"/households/{case.id}").get_data(as_text=True)
    assert "Edit the case" not in html and "Show address" not in html and "Alex" in html
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.user_id == manager.id,
                                                        AuditEvent.action == AuditAction.VIEW_CASE)).one()
    assert (event.record_type, event.record_id) == ("household", case.id)


def test_showing_the_address_is_audited(client, db, make_user, login, case):
    worker = make_user()
    login(worker)
    case_page = client.get(f"/households/{case.id}").get_data(as_text=True)
    assert "1 High Street" not in case_page and "Show address" in case_page
    html = client.get(f"/households/{case.id}/places").get_data(as_text=True)
    assert "1 High Street" in html and "LE2 0AB" in html and "Perpetrator&#39;s home" in html
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.user_id == worker.id, AuditEvent.action == AuditAction.VIEW_ADDRESS,
        AuditEvent.record_id == case.id)) == 1


def test_edit_form_is_filled_in_and_saves(client, db, make_user, login, case):
    login(make_user())
    html = client.get(f"/households/{case.id}/edit").get_data(as_text=True)
    assert 'value="Alex"' in html and 'value="LE4 1AA"' in html
    form = {**{k: v for k, v in FORM.items() if k not in ("reference", "source", "received_at", "referrer_agency")},
            "dash_score": "3"}
    response = post_form(client, f"/households/{case.id}/edit", form)
    assert response.status_code == 302
    db.session.expire_all()
    household = db.session.get(Household, case.id)
    assert household.dash_score == 3 and household.risk.value == "standard" and household.lead.name == "Sam"
    bad = post_form(client, f"/households/{case.id}/edit", {**form, "dash_score": "99"})
    assert bad.status_code == 422 and 'id="dash_score-error"' in bad.get_data(as_text=True)


def test_assessment_form(client, db, make_user, login, case):
    login(make_user())
    empty = post_form(client, f"/households/{case.id}/assessment", {})
    assert empty.status_code == 422
    html = empty.get_data(as_text=True)
    assert 'id="safe_to_stay-error"' in html and 'id="options_considered-error"' in html
    ok = post_form(client, f"/households/{case.id}/assessment", {
        "safe_to_stay": "no", "perpetrator_lives_there": "yes", "sanctuary_suitable": "no",
        "perpetrator_would_leave": "no", "options_considered": ["refuge", "housing_transfer"], "notes": "Urgent."})
    assert ok.status_code == 302
    assert db.session.scalars(select(Assessment)).one().options_considered == ["refuge", "housing_transfer"]
    assert "Urgent." in client.get(f"/households/{case.id}").get_data(as_text=True)


def test_case_list_filters_and_shows_repeat(client, db, make_user, login):
    worker = make_user()
    take(db, worker, now=NOW_CASE)
    take(db, worker, reference="OTHER-1", dash_score=1, now=NOW_CASE)
    take(db, worker, reference="FVS-20250310", now=NOW_CASE)  # joins, and is a repeat
    login(worker)
    html = client.get("/households/?risk=high").get_data(as_text=True)
    assert "FVS-20250310" in html and "OTHER-1" not in html and ">repeat<" in html
    assert "OTHER-1" in client.get("/households/?reference=oth").get_data(as_text=True)
    assert client.get("/households/?risk=nonsense").status_code == 422
    assert "My open cases" in client.get("/dashboard").get_data(as_text=True)
