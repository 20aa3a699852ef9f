"""People: accounts, sign-in with lockout, roles, API tokens."""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from safehome import passwords
from safehome.codes import AuditAction, Role
from safehome.errors import FieldProblem, NotFound, ValidationError
from safehome.models import ApiToken, Provider, User, WebSession
from safehome.models.base import utcnow
from safehome.services import Actor, audit

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MIN_PASSWORD = 12
TOKEN_PREFIX = "shk_"
TOKEN_DEFAULT_DAYS = 90  # a token's lifetime when none is asked for (capped at the maximum)


def _check_new_user(email: str, name: str, role: str, password: str, provider_id: int | None,
                    session: Session) -> list[FieldProblem]:
    problems = []
    if not EMAIL_RE.match(email or ""):
        problems.append(FieldProblem("email", "must be an email address"))
    elif session.scalar(select(User.id).where(func.lower(User.email) == email.lower())) is not None:
        problems.append(FieldProblem("email", "is already in use"))
    if not (name or "").strip():
        problems.append(FieldProblem("name", "is required"))
    if role not in Role.codes():
        problems.append(FieldProblem("role", f"must be one of {', '.join(Role.codes())}"))
    problems += _password_problems(password)
    problems += _provider_problems(session, role, provider_id)
    return problems


def _password_problems(password: str, field: str = "password") -> list[FieldProblem]:
    if len(password or "") < MIN_PASSWORD:
        return [FieldProblem(field, f"must be at least {MIN_PASSWORD} characters")]
    return []


def _provider_problems(session: Session, role: str, provider_id: int | None) -> list[FieldProblem]:
    if role == Role.PROVIDER:
        if provider_id is None or session.get(Provider, provider_id) is None:
            return [FieldProblem("provider_id", "a provider user must belong to a provider")]
    elif provider_id is not None:
        return [FieldProblem("provider_id", "only provider users belong to a provider")]
    return []


def create_user(session: Session, actor: Actor, *, email: str, name: str, role: str, password: str,
                provider_id: int | None = None) -> User:
    """Create an account. Raises ValidationError naming every bad field."""
    problems = _check_new_user(email, name, role, password, provider_id, session)
    if problems:
        raise ValidationError("The user could not be created.", problems)
    user = User(email=email.strip().lower(), name=name.strip(), role=Role(role),
                password_hash=passwords.hash_password(password), provider_id=provider_id)
    session.add(user)
    session.flush()
    audit.record(session, actor, AuditAction.USER_CHANGED, "user", user.id, f"created role={role}")
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.active.desc(), User.email)))


def authenticate(session: Session, actor: Actor, email: str, password: str, *, max_failures: int,
                 lock_minutes: int, now: datetime | None = None) -> User | None:
    """The user if the password is right and the account is usable, else None.

    Five wrong passwords lock the account for a while; the answer to the
    caller is the same whatever went wrong, so it never reveals whether an
    email exists or is locked.
    """
    now = now or utcnow()
    user = session.scalar(select(User).where(func.lower(User.email) == (email or "").strip().lower()))
    ok = passwords.verify(user.password_hash if user else None, password or "")
    if user is None:
        audit.record(session, actor, AuditAction.LOGIN_FAILED, detail="unknown account")
        return None
    if not user.active or (user.locked_until is not None and user.locked_until > now):
        audit.record(session, actor, AuditAction.LOGIN_FAILED, "user", user.id,
                     "inactive" if not user.active else "locked")
        return None
    if not ok:
        _count_failure(user, now, max_failures, lock_minutes)
        audit.record(session, actor, AuditAction.LOGIN_FAILED, "user", user.id, "wrong password")
        return None
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    audit.record(session, Actor(user, actor.remote_addr), AuditAction.LOGIN, "user", user.id)
    return user


def _count_failure(user: User, now: datetime, max_failures: int, lock_minutes: int) -> None:
    """One more wrong password; enough in a row lock the account for a while."""
    user.failed_logins += 1
    if user.failed_logins >= max_failures:
        user.locked_until = now + timedelta(minutes=lock_minutes)
        user.failed_logins = 0


def _end_sessions_and_tokens(session: Session, actor: Actor, user: User, why: str) -> None:
    """Every session of the user ends (their epoch moves on) and every live token is revoked."""
    user.session_epoch += 1
    now = utcnow()
    for token in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None),
                                                        ApiToken.expires_at > now)):
        _revoke(session, actor, token, why)


def _replace_password(session: Session, actor: Actor, user: User, password: str, why: str,
                      field: str = "password") -> None:
    problems = _password_problems(password, field)
    if problems:
        raise ValidationError("The password was not changed.", problems)
    user.password_hash = passwords.hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    _end_sessions_and_tokens(session, actor, user, why)
    audit.record(session, actor, AuditAction.USER_CHANGED, "user", user.id, why)


def set_password(session: Session, actor: Actor, user: User, password: str) -> None:
    """Reset a user's password (an administrator); every session and token of the user ends."""
    _replace_password(session, actor, user, password, "password reset")


class WrongPassword(ValidationError):
    """The current password given is wrong, or the account is locked: the failure is counted, so the
    caller keeps the transaction (no rollback) and shows the field's error."""


def change_password(session: Session, actor: Actor, user: User, current_password: str, new_password: str, *,
                    max_failures: int, lock_minutes: int, now: datetime | None = None) -> None:
    """One's own password change, proved by the current password.

    Every session and token of the user ends; the caller renews its own session
    (``auth_session.renew_session``). Wrong current passwords count towards the
    lockout as at sign-in, so a stolen session cannot try passwords for ever.
    Raises WrongPassword (the failure to be kept), or ValidationError for a bad new password.
    """
    now = now or utcnow()
    locked = user.locked_until is not None and user.locked_until > now
    if locked or not passwords.verify(user.password_hash, current_password or ""):
        if not locked:
            _count_failure(user, now, max_failures, lock_minutes)
        audit.record(session, actor, AuditAction.LOGIN_FAILED, "user", user.id,
                     "locked" if locked else "wrong current password")
        raise WrongPassword.one("current_password", "does not match, or the account is locked for a while")
    _replace_password(session, actor, user, new_password, "password changed", "new_password")


def set_active(session: Session, actor: Actor, user: User, active: bool) -> None:
    """Deactivate (signed out at once, tokens revoked for good) or reactivate an account."""
    if active == user.active:
        return
    if actor.user is not None and actor.user.id == user.id and not active:
        raise ValidationError.one("active", "you cannot deactivate your own account")
    user.active = active
    if not active:
        _end_sessions_and_tokens(session, actor, user, "deactivated")
    audit.record(session, actor, AuditAction.USER_CHANGED, "user", user.id, f"active={active}")


def set_role(session: Session, actor: Actor, user: User, role: str, provider_id: int | None = None) -> None:
    """Change a user's role; their sessions end and their tokens are revoked, so nothing made for the
    old role goes on with the new one."""
    problems = [] if role in Role.codes() else [FieldProblem("role", "is not a role")]
    problems += _provider_problems(session, role, provider_id)
    if problems:
        raise ValidationError("The role was not changed.", problems)
    if user.role == role and user.provider_id == provider_id:
        return
    user.role = Role(role)
    user.provider_id = provider_id
    _end_sessions_and_tokens(session, actor, user, "role changed")
    audit.record(session, actor, AuditAction.USER_CHANGED, "user", user.id, f"role={role}")


def purge_expired_sessions(session: Session) -> int:
    """Delete the browser sessions past their expiry (signed out already); returns how many."""
    # Naive UTC, as the session store writes its expiry.
    now = utcnow().replace(tzinfo=None)
    return session.execute(delete(WebSession).where(WebSession.expiry <= now)).rowcount


def user_for_session(session: Session, session_id: str) -> User | None:
    """flask-login's loader: ``"id:epoch"`` names a live session of an active user."""
    try:
        user_id, epoch = (int(part) for part in session_id.split(":"))
    except (ValueError, AttributeError):
        return None
    user = session.get(User, user_id)
    if user is None or not user.active or user.session_epoch != epoch:
        return None
    return user


# API tokens ---------------------------------------------------------------

def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def default_token_days(max_days: int) -> int:
    """A token's lifetime when none is asked for: TOKEN_DEFAULT_DAYS, or the maximum if that is lower."""
    return min(TOKEN_DEFAULT_DAYS, max_days)


def create_token(session: Session, actor: Actor, user: User, name: str, expires_in_days: int | None = None, *,
                 max_days: int) -> tuple[ApiToken, str]:
    """A new personal token; returns the row and the token, which is never shown again.

    Every token expires: after ``expires_in_days``, from 1 to ``max_days`` (SAFEHOME_TOKEN_MAX_DAYS);
    None takes ``default_token_days``.
    """
    name = (name or "").strip()
    problems = [] if name and len(name) <= 80 else [FieldProblem("name", "give the token a name of 1 to 80 characters")]
    days = default_token_days(max_days) if expires_in_days is None else expires_in_days
    if not 1 <= days <= max_days:
        problems.append(FieldProblem("expires_in_days", f"must be a whole number of days from 1 to {max_days}"))
    if problems:
        raise ValidationError("The token was not made.", problems)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(user_id=user.id, name=name, prefix=secret[:10], token_hash=_digest(secret), created_at=now,
                     expires_at=now + timedelta(days=days))
    session.add(token)
    session.flush()
    audit.record(session, actor, AuditAction.TOKEN_CREATED, "api_token", token.id)
    return token, secret


def _revoke(session: Session, actor: Actor, token: ApiToken, why: str | None = None) -> None:
    token.revoked_at = utcnow()
    audit.record(session, actor, AuditAction.TOKEN_REVOKED, "api_token", token.id, why)


def revoke_token(session: Session, actor: Actor, token_id: int, *, owner: User | None = None) -> ApiToken:
    """Revoke a token (``owner`` limits it to that user's own tokens)."""
    token = session.get(ApiToken, token_id)
    if token is None or (owner is not None and token.user_id != owner.id):
        raise NotFound("No such token.")
    if token.revoked_at is None:
        _revoke(session, actor, token)
    return token


def user_for_token(session: Session, secret: str, now: datetime | None = None) -> User | None:
    """The active owner of a live token, or None. Marks the token used."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    now = now or utcnow()
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    if not token.user.active:
        return None
    # Written at most once a minute, so reads do not turn into writes on every call.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
    return token.user


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())))
