"""One's own account: the password, and personal API tokens."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from safehome.auth_session import current_actor, renew_session
from safehome.errors import ValidationError
from safehome.extensions import db
from safehome.permissions import Permission, requires
from safehome.services import users
from safehome.views.common import form_errors_from

bp = Blueprint("account", __name__, url_prefix="/account")

PASSWORD_CHANGED = ("Your password is changed. You are still signed in here; every other session and every "
                    "API token of yours has ended.")


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=1024)])
    new_password = PasswordField("New password", validators=[DataRequired(), Length(max=1024)])
    new_password_again = PasswordField("New password again", validators=[
        DataRequired(), EqualTo("new_password", message="must be the same as the new password")])


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired(), Length(max=80)])
    expires_in_days = IntegerField("Expires after (days)", validators=[Optional()])


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that change state."""


@bp.route("", methods=["GET", "POST"])
@requires(Permission.OWN_ACCOUNT)
def account():
    form = PasswordChangeForm()
    status = 200
    if form.validate_on_submit():
        config = current_app.config
        try:
            users.change_password(db.session, current_actor(), current_user, form.current_password.data,
                                  form.new_password.data, max_failures=config["LOGIN_MAX_FAILURES"],
                                  lock_minutes=config["LOGIN_LOCK_MINUTES"])
        except users.WrongPassword as exc:  # no rollback: the failure counts towards the lockout
            form.current_password.errors.append(exc.problems[0].message)
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            renew_session(current_user)
            flash(PASSWORD_CHANGED, "info")
            return redirect(url_for("account.account"))
        status = 422
    elif form.errors:
        status = 422
    return render_template("account/account.html", form=form,
                           min_password=users.MIN_PASSWORD), status


@bp.route("/tokens", methods=["GET", "POST"])
@requires(Permission.OWN_ACCOUNT)
def tokens():
    max_days = current_app.config["TOKEN_MAX_DAYS"]
    form = TokenForm(expires_in_days=users.default_token_days(max_days))
    new_secret = None
    status = 200
    if form.validate_on_submit():
        try:
            _, new_secret = users.create_token(db.session, current_actor(), current_user, form.name.data,
                                               form.expires_in_days.data, max_days=max_days)
            form = TokenForm(formdata=None, expires_in_days=users.default_token_days(max_days))
        except ValidationError as exc:
            form_errors_from(form, exc)
            status = 422
    elif form.errors:
        status = 422
    return render_template("account/tokens.html", form=form, tokens=users.tokens_of(db.session, current_user),
                           new_secret=new_secret, revoke_form=EmptyForm(), max_days=max_days), status


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@requires(Permission.OWN_ACCOUNT)
def revoke(token_id: int):
    if EmptyForm().validate_on_submit():
        users.revoke_token(db.session, current_actor(), token_id, owner=current_user)
        flash("The token is revoked.", "info")
    return redirect(url_for("account.tokens"))
