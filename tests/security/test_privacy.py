"""No personal data in logs: a whole referral-to-move-in journey with marker strings in every field."""
from __future__ import annotations

import logging
from datetime import date

from tests.placement_fixtures import *
from tests.referral_data import as_json, referral

# Each marker is a value no code, label or log template could hold by chance.
MARKERS = {
    "reference": "QZX-MARK01",
    "name": "Qzxmarkname",
    "child": "Qzxmarkchild",
    "line1": "7 Qzxmarkstreet",
    "line2": "Qzxmarkestate",
    "town": "Qzxmarktown",
    "agency": "Qzxmarkagency",
    "contact": "qzxmarkcontact@example.org",
    "avoid": "Qzxmarkavoid",
    "prefer": "Qzxmarkprefer",
    "notes": "Qzxmarknotes",
    "decline": "Qzxmarkdecline",
}


def _marked_referral() -> dict:
    return as_json(referral(
        reference=MARKERS["reference"], referrer_agency=MARKERS["agency"], referrer_contact=MARKERS["contact"],
        members=[{"name": MARKERS["name"], "birth_date": date(1990, 5, 1), "gender": "female"},
                 {"name": MARKERS["child"], "birth_date": date(2016, 8, 20), "gender": "female"}],
        pets=[], needs=[],
        address={"line1": MARKERS["line1"], "line2": MARKERS["line2"], "town": MARKERS["town"], "postcode": "LE2 0AB"},
        avoid=[{"label": MARKERS["avoid"], "postcode": "LE4 1AA", "km": 2}],
        prefer=[{"label": MARKERS["prefer"], "postcode": "LE3 9ZZ", "km": 8, "weight": 4}],
    ))


def test_no_marker_reaches_any_log(app, client, db, make_user, token_for, make_unit, login, caplog, capsys):
    # The root at DEBUG: every logger that does not set its own level (werkzeug, the app's, the libraries').
    # SQLAlchemy's engine logger is held at WARNING by the app, whatever the root says: checked below.
    caplog.set_level(logging.DEBUG)
    for name in ("werkzeug", "safehome", app.logger.name):
        caplog.set_level(logging.DEBUG, logger=name)
    worker = make_user("housing_worker")
    headers = token_for(worker)
    make_unit()  # a unit that fits: a refuge for a woman and a girl
    db.engine.dispose()  # new connections see the DEBUG level and would log SQL with its values

    made = client.post("/api/v1/referrals", json=_marked_referral(), headers=headers)
    assert made.status_code == 201, made.get_json()
    household_id = made.get_json()["household"]["id"]
    assert client.post(f"/api/v1/households/{household_id}/assessments", headers=headers, json={
        "safe_to_stay": "no", "perpetrator_lives_there": "yes", "sanctuary_suitable": "no",
        "perpetrator_would_leave": "unknown", "options_considered": ["refuge"], "notes": MARKERS["notes"],
    }).status_code == 201
    # Hostile and failing requests carry the markers too: their errors must not echo them to a log.
    assert client.post("/api/v1/referrals", headers=headers,
                       json={**_marked_referral(), "dash_score": MARKERS["name"]}).status_code == 422
    suggestions = client.get(f"/api/v1/households/{household_id}/suggestions", headers=headers).get_json()
    unit_id = suggestions["suggestions"][0]["unit_id"]
    offer = client.post("/api/v1/placements", headers=headers, json={"household_id": household_id, "unit_id": unit_id})
    assert offer.status_code == 201, offer.get_json()
    url = f"/api/v1/placements/{offer.get_json()['id']}"
    assert client.post(url + "/decline", headers=headers, json={"reason": MARKERS["decline"]}).status_code in (409, 422)
    assert client.post(url + "/accept", headers=headers, json={}).status_code == 200
    assert client.post(url + "/move-in", headers=headers,
                       json={"moved_in_on": date.today().isoformat()}).status_code == 200
    # And the pages a worker opens along the way, the address page among them.
    login(worker)
    for page in (f"/households/{household_id}", f"/households/{household_id}/places",
                 f"/households/{household_id}/placements", "/households/"):
        assert client.get(page).status_code == 200, page

    logging.getLogger("any.library").debug("capture check")
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    captured = capsys.readouterr()
    assert "capture check" in caplog.text  # the capture does see DEBUG lines of any logger
    assert not logging.getLogger("sqlalchemy.engine").isEnabledFor(logging.INFO)
    for field, marker in MARKERS.items():
        assert marker.lower() not in logged.lower(), f"the {field} reached a log"
        assert marker.lower() not in (captured.out + captured.err).lower(), f"the {field} reached the console"
