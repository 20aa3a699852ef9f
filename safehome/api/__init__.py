"""The JSON API under /api/v1, one flask-smorest blueprint per area, from this list."""
from __future__ import annotations

from flask import Flask

from safehome.api.households import blp as households
from safehome.api.journey import blp as journey
from safehome.api.people import blp as people
from safehome.api.perpetrator import blp as perpetrator
from safehome.api.placements import blp as placements
from safehome.api.reports import blp as reports
from safehome.api.units import blp as units
from safehome.extensions import api, csrf

API_BLUEPRINTS = [people, households, units, placements, journey, perpetrator, reports]


def register_api(app: Flask) -> None:
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "A personal API token (shk_...)"})
    api.spec.options["security"] = [{"bearer": []}]
    api.ma_plugin.converter.add_attribute_function(_decimal_as_string)
    for blueprint in API_BLUEPRINTS:
        csrf.exempt(blueprint)  # token clients; browser sessions are checked in auth_session
        api.register_blueprint(blueprint)
    from safehome.api.docs import bp as docs

    app.register_blueprint(docs)


def _decimal_as_string(_converter, field, ret: dict, **_kwargs) -> dict:
    """apispec documents every Decimal as a number, its bounds as Decimal (sent as strings): a Decimal
    sent as a string ("423.00") is a string; a Decimal read as a number has numeric bounds."""
    from marshmallow import fields

    if not isinstance(field, fields.Decimal):
        return {}
    bounds = [key for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum") if key in ret]
    if field.as_string:
        for key in bounds:
            ret.pop(key)
        return {"type": "string", "format": "decimal"}
    return {key: float(ret[key]) for key in bounds}
