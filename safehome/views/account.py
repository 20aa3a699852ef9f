"""One's own account: personal API tokens."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from safehome.auth_session import current_actor
from safehome.errors import ValidationError
from safehome.extensions import db
from safehome.permissions import Permission, requires
from safehome.services import users
from safehome.views.common import form_errors_from

bp = Blueprint("account", __name__, url_prefix="/account")


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired(), Length(max=80)])
    expires_in_days = IntegerField("Expires after (days)", default=90, validators=[Optional(), NumberRange(1, 366)])


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that change state."""


@bp.route("/tokens", methods=["GET", "POST"])
@requires(Permission.OWN_TOKENS)
def tokens():
    form = TokenForm()
    new_secret = None
    status = 200
    if form.validate_on_submit():
        try:
            _, new_secret = users.create_token(db.session, current_actor(), current_user, form.name.data,
                                               form.expires_in_days.data)
            form = TokenForm(formdata=None)
        except ValidationError as exc:
            form_errors_from(form, exc)
            status = 422
    elif form.errors:
        status = 422
    return render_template("account/tokens.html", form=form, tokens=users.tokens_of(db.session, current_user),
                           new_secret=new_secret, revoke_form=EmptyForm()), status


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@requires(Permission.OWN_TOKENS)
def revoke(token_id: int):
    if EmptyForm().validate_on_submit():
        users.revoke_token(db.session, current_actor(), token_id, owner=current_user)
        flash("The token is revoked.", "info")
    return redirect(url_for("account.tokens"))
