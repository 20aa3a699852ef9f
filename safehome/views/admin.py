"""Administration: users, roles, passwords, tokens, and the audit log."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, DateField, EmailField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from safehome.auth_session import current_actor
from safehome.codes import AuditAction, Role
from safehome.errors import ValidationError
from safehome.extensions import db
from safehome.models import Provider
from safehome.permissions import Permission, requires
from safehome.services import audit, users
from safehome.views.account import EmptyForm
from safehome.views.common import form_errors_from, select_choices

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _provider_choices():
    providers = db.session.scalars(select(Provider).order_by(Provider.name))
    return select_choices([("", "(none)")] + [(str(p.id), p.name) for p in providers])


def _provider_id(value: str | None) -> int | None:
    return int(value) if value else None


class UserForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    role = SelectField("Role", choices=select_choices(Role.choices()))
    provider_id = SelectField("Provider (provider users only)", choices=[], validate_choice=False)
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=select_choices(Role.choices()))
    provider_id = SelectField("Provider (provider users only)", choices=[], validate_choice=False)


class PasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(max=1024)])


class ActiveForm(FlaskForm):
    active = BooleanField("Active")


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter: changes nothing

    user_id = IntegerField("User id", validators=[Optional()])
    record_type = StringField("Record type", validators=[Optional(), Length(max=40)])
    record_id = IntegerField("Record id", validators=[Optional()])
    day_from = DateField("From", validators=[Optional()])
    day_to = DateField("To", validators=[Optional()])


@bp.route("/users", methods=["GET", "POST"])
@requires(Permission.ADMIN_USERS)
def users_index():
    form = UserForm()
    form.provider_id.choices = _provider_choices()
    status = 200
    if form.validate_on_submit():
        try:
            user = users.create_user(db.session, current_actor(), email=form.email.data, name=form.name.data,
                                     role=form.role.data, password=form.password.data,
                                     provider_id=_provider_id(form.provider_id.data))
            flash(f"User {user.email} created.", "info")
            return redirect(url_for("admin.users_index"))
        except ValidationError as exc:
            form_errors_from(form, exc)
            status = 422
    elif form.errors:
        status = 422
    return render_template("admin/users.html", form=form, users=users.list_users(db.session)), status


@bp.route("/users/<int:user_id>", methods=["GET"])
@requires(Permission.ADMIN_USERS)
def user_detail(user_id: int):
    user = users.get_user(db.session, user_id)
    role_form = RoleForm(role=user.role.value, provider_id=str(user.provider_id or ""))
    role_form.provider_id.choices = _provider_choices()
    return render_template("admin/user.html", user=user, role_form=role_form, password_form=PasswordForm(),
                           active_form=ActiveForm(active=user.active), tokens=users.tokens_of(db.session, user),
                           revoke_form=EmptyForm())


def _apply(user_id: int, form: FlaskForm, change) -> tuple:
    user = users.get_user(db.session, user_id)
    if form.validate_on_submit():
        try:
            change(user, form)
            flash("Saved.", "info")
            return redirect(url_for("admin.user_detail", user_id=user.id)), 302
        except ValidationError as exc:
            db.session.rollback()
            for problem in exc.problems:
                flash(f"{problem.field}: {problem.message}", "error")
    else:
        for field, messages in form.errors.items():
            flash(f"{field}: {'; '.join(messages)}", "error")
    return redirect(url_for("admin.user_detail", user_id=user_id)), 303


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@requires(Permission.ADMIN_USERS)
def user_role(user_id: int):
    form = RoleForm()
    form.provider_id.choices = _provider_choices()
    return _apply(user_id, form, lambda user, f: users.set_role(
        db.session, current_actor(), user, f.role.data, _provider_id(f.provider_id.data)))[0]


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@requires(Permission.ADMIN_USERS)
def user_password(user_id: int):
    return _apply(user_id, PasswordForm(), lambda user, f: users.set_password(
        db.session, current_actor(), user, f.password.data))[0]


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@requires(Permission.ADMIN_USERS)
def user_active(user_id: int):
    return _apply(user_id, ActiveForm(), lambda user, f: users.set_active(
        db.session, current_actor(), user, bool(f.active.data)))[0]


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@requires(Permission.ADMIN_USERS)
def revoke_token(token_id: int):
    if EmptyForm().validate_on_submit():
        token = users.revoke_token(db.session, current_actor(), token_id)
        flash("The token is revoked.", "info")
        return redirect(url_for("admin.user_detail", user_id=token.user_id))
    return redirect(url_for("admin.users_index"))


@bp.route("/audit")
@requires(Permission.AUDIT_READ)
def audit_log():
    form = AuditFilterForm(request.args)
    events = []
    if form.validate():
        events = audit.search(db.session, user_id=form.user_id.data, record_type=form.record_type.data or None,
                              record_id=form.record_id.data, day_from=form.day_from.data, day_to=form.day_to.data)
    return render_template("admin/audit.html", form=form, events=events, AuditAction=AuditAction), \
        200 if not form.errors else 422
