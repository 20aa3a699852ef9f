"""How a request is tied to a person: the session cookie or a Bearer token.

Pages use the session (with an idle timeout kept on the server side as well
as in the cookie); machine clients use personal API tokens. Then
``permissions.enforce`` decides, denied by default.
"""
from __future__ import annotations

import time

from flask import Flask, g, request, session
from flask_login import current_user, logout_user

from safehome import passwords, permissions
from safehome.extensions import csrf, db, login_manager
from safehome.services import Actor, users

SESSION_SEEN = "_seen"


def current_actor() -> Actor:
    """The acting user and their address, for services and the audit trail."""
    user = current_user._get_current_object() if current_user.is_authenticated else None
    return Actor(user=user, remote_addr=request.remote_addr)


def init_app(app: Flask) -> None:
    passwords.configure(app.config["ARGON2_PROFILE"])
    login_manager.session_protection = "basic"
    login_manager.login_view = None  # unauthenticated pages get 401, turned into a redirect by errors.py

    @login_manager.user_loader
    def load_user(session_id: str):
        return users.user_for_session(db.session, session_id)

    @login_manager.request_loader
    def load_token_user(req):
        header = req.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        return users.user_for_token(db.session, header[len("Bearer "):].strip())

    @app.before_request
    def authenticate_and_authorise():
        g.token_auth = request.headers.get("Authorization", "").startswith("Bearer ")
        if g.token_auth:
            # A token request ignores any cookie: the token alone decides who this is.
            session.clear()
        _expire_idle_session(app)
        if request.path.startswith("/api/") and not g.token_auth and request.method not in ("GET", "HEAD", "OPTIONS"):
            # The API is CSRF-exempt for token clients only; a browser session must send the token.
            if current_user.is_authenticated:
                csrf.protect()
        return permissions.enforce()


def _expire_idle_session(app: Flask) -> None:
    """Sign out a session idle for longer than the lifetime (server-side check)."""
    if g.get("token_auth") or "_user_id" not in session:
        return
    now = time.time()
    idle_limit = app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    seen = session.get(SESSION_SEEN)
    if seen is not None and now - float(seen) > idle_limit:
        logout_user()
        session.clear()
        g.session_expired = True
        return
    session.permanent = True
    session[SESSION_SEEN] = now
