"""Referral data for the referral and household tests: a real-shaped referral, in service and JSON shapes."""
from __future__ import annotations

from datetime import date, datetime, timezone

from safehome.services import Actor, referrals

RECEIVED = datetime(2025, 3, 10, 9, 30, tzinfo=timezone.utc)


def referral(**overrides) -> dict:
    """A valid referral as the service takes it (Python types)."""
    data = {
        "reference": "FVS-20250310",
        "source": "fvs",
        "received_at": RECEIVED,
        "referrer_agency": "Family service duty desk",
        "members": [
            {"name": "Alex", "birth_date": date(1990, 5, 1), "gender": "female"},
            {"name": None, "birth_date": date(2015, 8, 20), "gender": "male"},
        ],
        "dash_score": 15,
        "marac": False,
        "pets": ["cat"],
        "needs": ["step_free"],
        "languages": ["english", "polish"],
        "interpreter": True,
        "address": {"line1": "1 High Street", "line2": None, "town": "Leicester", "postcode": "le2 0ab"},
        "tenure_at_entry": "council_rent",
        "avoid": [{"label": "Perpetrator's home", "postcode": "LE4 1AA", "km": 10},
                  {"label": "His work", "lat": 52.95, "lon": -1.15, "km": 5}],
        "prefer": [{"label": "School", "postcode": "LE3 9ZZ", "km": 8, "weight": 4}],
        "unit_types": ["refuge", "dispersed"],
        "consent_to_share": True,
        "equality": {"ethnicity": "white_other", "religion": "prefer_not_to_say"},
    }
    data.update(overrides)
    return data


def as_json(data: dict) -> dict:
    """The same referral as an API client sends it."""
    def plain(value):
        if isinstance(value, (date, datetime)):
            return value.isoformat()
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    return plain(data)


def take(db, user, now: datetime | None = None, **overrides):
    """Take a referral through the service as ``user`` and commit; returns the Intake."""
    intake = referrals.take_referral(db.session, Actor(user), referral(**overrides),
                                     now=now or datetime(2025, 3, 10, 12, 0, tzinfo=timezone.utc))
    db.session.commit()
    return intake

# "Now" for cases made by tests that then go through the web app, whose clock is the real one.
NOW_CASE = datetime.now(timezone.utc)
