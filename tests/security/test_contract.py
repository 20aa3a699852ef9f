"""Contract fuzzing: schemathesis over the whole OpenAPI document, with a token of each role.

No answer may be a 5xx, and every answer must match the document (status
codes declared, bodies of the declared shape, headers such as Allow on 405).
The app is built when this module is collected (schemathesis needs it to read
the document), on its own SQLite copy of the demo world.
"""
from __future__ import annotations

import atexit
import shutil
import tempfile
from datetime import date
from pathlib import Path

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from schemathesis.specs.openapi.checks import positive_data_acceptance

from safehome import create_app
from tests.conftest import FreshContextClient, base_config
from tests.security.conftest import DEMO_LOGIN, ROLES

EXAMPLES_PER_OPERATION = 3  # per role: about 90 operations x 6 roles, about ten minutes on 2 cores

# Not checked: "positive data acceptance" (a schema-valid request must be 2xx). The services hold rules a
# schema cannot say (a unit must be available, dates in order, a household must fit a unit, a state must
# allow the move); they answer those with a documented 409 or 422 naming the field, which is right.


def _build_app():
    from flask_migrate import upgrade

    from safehome.extensions import db
    from safehome.models import User
    from safehome.services import SYSTEM, demo, users

    folder = Path(tempfile.mkdtemp(prefix="safehome-contract-"))
    atexit.register(shutil.rmtree, folder, True)
    app = create_app(base_config(f"sqlite:///{folder / 'contract.db'}"))
    app.test_client_class = FreshContextClient
    tokens = {}
    with app.app_context():
        upgrade()
        demo.load_demo(db.session, SYSTEM, password=demo.DEMO_PASSWORD, today=date.today())
        for role in ROLES:
            user = db.session.query(User).filter_by(email=f"{DEMO_LOGIN[role]}@{demo.DEMO_DOMAIN}").one()
            tokens[role] = f"Bearer {users.create_token(db.session, SYSTEM, user, 'contract', max_days=365)[1]}"
        db.session.commit()
        db.session.remove()
    return app, tokens


APP, TOKENS = _build_app()
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", APP)


def _drops_the_token(case) -> bool:
    """Schemathesis' coverage phase makes cases that leave the Authorization header out on purpose."""
    data = getattr(getattr(case.meta, "phase", None), "data", None)
    return (getattr(data, "parameter", None) or "").lower() == "authorization"


@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@hypothesis.settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
                     suppress_health_check=list(HealthCheck),
                     phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate])
def test_every_operation_keeps_its_contract_for_every_role(case, role):
    # No app context around the call: each request gets its own, as in a real server (a shared
    # one would carry flask-login's user in ``g`` from one request to the next).
    # On the case, marked as given (as schemathesis' own auth providers do), so its auth check
    # knows the token is valid and probes the operation without it and with a wrong one.
    if not _drops_the_token(case):
        case.headers = {**(case.headers or {}), "Authorization": TOKENS[role]}
        case._has_explicit_auth = True
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
