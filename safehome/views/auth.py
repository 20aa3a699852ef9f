"""Signing in and out."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from safehome.auth_session import begin_session, current_actor, end_session
from safehome.codes import AuditAction
from safehome.extensions import db
from safehome.permissions import Permission, public, requires
from safehome.services import audit, throttle
from safehome.views.common import safe_next

bp = Blueprint("auth", __name__)

LOGIN_FAILED = "That email and password do not match an active account, or the account is locked for a while."


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    form = LoginForm()
    if form.validate_on_submit():
        config = current_app.config
        try:
            user = throttle.sign_in(db.session, current_actor(), form.email.data, form.password.data,
                                    max_failures=config["LOGIN_MAX_FAILURES"], lock_minutes=config["LOGIN_LOCK_MINUTES"],
                                    address_max_failures=config["LOGIN_ADDRESS_MAX_FAILURES"],
                                    address_window_minutes=config["LOGIN_ADDRESS_WINDOW_MINUTES"])
        except throttle.Throttled as exc:
            flash(exc.message, "error")
            return render_template("auth/login.html", form=form), 429, {"Retry-After": str(exc.retry_after)}
        if user is not None:
            begin_session(user)
            return redirect(safe_next(request.args.get("next"), url_for("dashboard.home")))
        flash(LOGIN_FAILED, "error")
        return render_template("auth/login.html", form=form), 401
    if request.args.get("expired"):
        flash("You were signed out after a period of inactivity.", "info")
    return render_template("auth/login.html", form=form), 422 if form.errors else 200


@bp.route("/logout", methods=["POST"])
@requires(Permission.DASHBOARD)
def logout():
    audit.record(db.session, current_actor(), AuditAction.LOGOUT, "user", current_user.id)
    end_session()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
