"""The landing page: a dashboard for each role."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from safehome.extensions import db
from safehome.permissions import Permission, public, requires
from safehome.services import dashboard as dashboard_service

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@public
def index():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    return redirect(url_for("auth.login"))


@bp.route("/dashboard")
@requires(Permission.DASHBOARD)
def home():
    panels = dashboard_service.panels_for(db.session, current_user)
    return render_template("dashboard/home.html", panels=panels)
