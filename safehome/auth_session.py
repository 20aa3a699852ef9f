"""How a request is tied to a person: the session cookie or a Bearer token.

Pages use a session kept on the server (the cookie holds only its id), with an
idle timeout; machine clients use personal API tokens. Then
``permissions.enforce`` decides, denied by default.

A session ends on the server: signing out deletes its row, so a copy of the
cookie is worthless afterwards, while the user's other sessions go on. A
password change or reset, a role change or a deactivation ends every session
of the user at once: each session names the user's ``session_epoch``, checked
on every request (``users.user_for_session``).
"""
from __future__ import annotations

import hashlib
import time

from flask import Flask, current_app, g, request, session
from flask_login import current_user, login_user, logout_user
from flask_session.base import ServerSideSessionInterface
from flask_wtf.csrf import generate_csrf
from flask_session.sqlalchemy import SqlAlchemySessionInterface
from sqlalchemy.exc import OperationalError

from safehome import passwords, permissions
from safehome.extensions import csrf, db, login_manager
from safehome.models import User, WebSession
from safehome.services import Actor, users

SESSION_SEEN = "_seen"
# The idle clock is written back to the session's row at most this often (seconds), so a page
# view is a read; a session may so be signed out up to this much before its idle limit.
SEEN_EVERY = 60


class SessionStore(SqlAlchemySessionInterface):
    """Flask-Session's database store, on the ``web_sessions`` table made by the migrations.

    Flask-Session's own constructor defines its model class on ``db.Model`` (a second app in one
    process then fails: "Table 'sessions' is already defined", flask-session issue 245) and creates
    the table at start-up; here the model is ours and the table the migrations'. Expired rows are
    removed by ``users.purge_expired_sessions`` (``flask purge-sessions``), not by its command.
    """

    def __init__(self, app: Flask):
        self.client = db
        self.sql_session_model = WebSession
        ServerSideSessionInterface.__init__(self, app, key_prefix="", use_signer=False, permanent=True)

    def _register_cleanup_app_command(self) -> None:
        """Flask-Session's own cleanup command is replaced by ``purge-sessions``."""

    def _get_store_id(self, sid: str) -> str:
        return hashlib.sha256(sid.encode()).hexdigest()

    # With the database down, a page must be the 503 of errors.py, never a 500: a session that cannot
    # be read is empty, its error raised by ``authenticate_and_authorise``; one that cannot be saved
    # (the 503 page holds a CSRF token) is dropped.

    def open_session(self, app: Flask, request):
        try:
            return super().open_session(app, request)
        except OperationalError as exc:
            g.session_store_error = exc
            return self.session_class(sid=self._generate_sid(self.sid_length), permanent=True)

    def save_session(self, app: Flask, session, response) -> None:
        if g.get("session_store_error") is not None:
            return
        try:
            super().save_session(app, session, response)
        except OperationalError:
            db.session.rollback()
            app.logger.error("session not saved: the database is not answering")


def begin_session(user: User) -> None:
    """Sign the user in on a new session id: no id seen before sign-in is ever signed in (fixation).

    The new session starts with its idle clock and a new CSRF token, so it is written once, here,
    and the pages after read it.
    """
    current_app.session_interface.regenerate(session)
    session.clear()
    login_user(user)
    session[SESSION_SEEN] = time.time()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)  # the old session's, cached
    generate_csrf()


def end_session() -> None:
    """Sign out: the session's row is deleted, so a copy of its cookie is worthless."""
    current_app.session_interface.regenerate(session)
    logout_user()
    session.clear()


def renew_session(user: User) -> None:
    """After one's own password change: this session goes on, under a new id and the new epoch."""
    if not g.get("token_auth"):
        begin_session(user)


def current_actor() -> Actor:
    """The acting user and their address, for services and the audit trail."""
    user = current_user._get_current_object() if current_user.is_authenticated else None
    return Actor(user=user, remote_addr=request.remote_addr)


def init_app(app: Flask) -> None:
    passwords.configure(app.config["ARGON2_PROFILE"])
    app.session_interface = SessionStore(app)
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
        if g.get("session_store_error") is not None:
            raise g.session_store_error
        g.token_auth = request.headers.get("Authorization", "").startswith("Bearer ")
        if g.token_auth and session:
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
        end_session()
        g.session_expired = True
        return
    if seen is None or now - float(seen) >= SEEN_EVERY:
        session[SESSION_SEEN] = now
