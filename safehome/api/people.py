"""The API for oneself, one's tokens, and (for administrators) users and the audit log."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint

from safehome.auth_session import current_actor
from safehome.codes import AuditAction
from safehome.extensions import db
from safehome.permissions import Permission, requires
from safehome.schemas.people import AuditEventOut, AuditQuery, NewTokenOut, TokenIn, TokenOut, UserIn, UserOut
from safehome.services import audit, users

blp = Blueprint("api_people", __name__, url_prefix="/api/v1", description="People, tokens and the audit log")


@blp.route("/me")
class Me(MethodView):
    @requires(Permission.DASHBOARD)
    @blp.response(200, UserOut)
    def get(self):
        """Who the token or session belongs to."""
        return current_user


@blp.route("/tokens")
class Tokens(MethodView):
    @requires(Permission.OWN_ACCOUNT)
    @blp.response(200, TokenOut(many=True))
    def get(self):
        """One's own API tokens (never the secrets)."""
        return users.tokens_of(db.session, current_user)

    @requires(Permission.OWN_ACCOUNT)
    @blp.arguments(TokenIn)
    @blp.response(201, NewTokenOut)
    def post(self, data):
        """Create a token; the secret is in this answer only."""
        token, secret = users.create_token(db.session, current_actor(), current_user, data["name"],
                                           data.get("expires_in_days"), max_days=current_app.config["TOKEN_MAX_DAYS"])
        token.token = secret
        return token


@blp.route("/tokens/<int:token_id>")
class Token(MethodView):
    @requires(Permission.OWN_ACCOUNT)
    @blp.response(204)
    def delete(self, token_id: int):
        """Revoke one of one's own tokens."""
        users.revoke_token(db.session, current_actor(), token_id, owner=current_user)


@blp.route("/users")
class Users(MethodView):
    @requires(Permission.ADMIN_USERS)
    @blp.response(200, UserOut(many=True))
    def get(self):
        """Every user."""
        return users.list_users(db.session)

    @requires(Permission.ADMIN_USERS)
    @blp.arguments(UserIn)
    @blp.response(201, UserOut)
    def post(self, data):
        """Create a user."""
        return users.create_user(db.session, current_actor(), **data)


@blp.route("/audit-events")
class AuditEvents(MethodView):
    @requires(Permission.AUDIT_READ)
    @blp.arguments(AuditQuery, location="query")
    @blp.response(200, AuditEventOut(many=True))
    def get(self, query):
        """Audit events, newest first."""
        action = query.pop("action", None)
        return audit.search(db.session, action=AuditAction(action) if action else None, **query)
