"""The API documentation page, drawn on the server from the OpenAPI document (no third-party script)."""
from __future__ import annotations

from flask import Blueprint, render_template

from safehome.extensions import api
from safehome.permissions import public

bp = Blueprint("api_docs_page", __name__)


@bp.route("/api/docs")
@public
def docs():
    return render_template("api/docs.html", spec=api.spec.to_dict())
