"""The JSON API under /api/v1, one flask-smorest blueprint per area, from this list."""
from __future__ import annotations

from flask import Flask

from safehome.api.people import blp as people
from safehome.extensions import api, csrf

API_BLUEPRINTS = [people]


def register_api(app: Flask) -> None:
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "A personal API token (shk_...)"})
    api.spec.options["security"] = [{"bearer": []}]
    for blueprint in API_BLUEPRINTS:
        csrf.exempt(blueprint)  # token clients; browser sessions are checked in auth_session
        api.register_blueprint(blueprint)
    from safehome.api.docs import bp as docs

    app.register_blueprint(docs)
