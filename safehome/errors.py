"""Domain errors, and the one place that turns errors into HTML or JSON.

Services raise these; views and API resources let them propagate. Messages
name fields and rules, never a person's details.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, g, jsonify, redirect, render_template, request, url_for
from sqlalchemy.exc import DBAPIError, IntegrityError
from werkzeug.exceptions import HTTPException, MethodNotAllowed


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str


class DomainError(Exception):
    """A request the service rules refuse. ``status`` is the HTTP answer."""

    status = 400

    def __init__(self, message: str, problems: list[FieldProblem] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or []

    def as_dict(self) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        for p in self.problems:
            errors.setdefault(p.field, []).append(p.message)
        return errors


class ValidationError(DomainError):
    """Bad input: every problem found, each naming its field."""

    status = 422

    @classmethod
    def one(cls, field: str, message: str) -> ValidationError:
        return cls(f"{field}: {message}", [FieldProblem(field, message)])


class NotFound(DomainError):
    """Missing, or outside what the user may see: the two look the same.

    The message stays on the server side (a CLI error, a batch run's refusal reasons); an HTTP
    answer always says ``NOT_FOUND`` instead, whatever raised it.
    """

    status = 404


# The one body of every 404, from a service or from routing: any other text would tell a record
# outside the caller's scope from one that does not exist.
NOT_FOUND = "There is nothing here that you may see."


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    """The record changed under the request (a unit already offered, a stale state)."""

    status = 409


class TransitionError(Conflict):
    """A state change the workflow does not allow from the current state."""


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _json_error(status: int, message: str, errors: dict | None = None):
    """``errors`` is keyed by where the input was: ``{"json": {field: [messages]}}`` (or "query")."""
    body = {"code": status, "status": _reason(status), "message": message}
    if errors:
        body["errors"] = errors
    return jsonify(body), status


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def register_error_handlers(app: Flask) -> None:
    from safehome.extensions import db

    def not_found():
        if wants_json():
            return _json_error(404, NOT_FOUND)
        return render_template("errors/error.html", status=404, message=NOT_FOUND, problems=[]), 404

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()
        if exc.status == 404:
            return not_found()
        if wants_json():
            return _json_error(exc.status, exc.message, {"json": exc.as_dict()} if exc.problems else None)
        return render_template("errors/error.html", status=exc.status, message=exc.message,
                               problems=exc.problems), exc.status

    @app.errorhandler(IntegrityError)
    def integrity_error(exc: IntegrityError):
        # A database invariant refused the change (two live offers of one unit, a duplicate):
        # someone else got there first. The constraint name is safe to log; values are not.
        db.session.rollback()
        app.logger.warning("integrity conflict: %s", type(exc.orig).__name__)
        message = "This record was changed by someone else at the same moment. Reload and try again."
        if wants_json():
            return _json_error(409, message)
        return render_template("errors/error.html", status=409, message=message, problems=[]), 409

    @app.errorhandler(DBAPIError)
    def database_down(exc: DBAPIError):
        db.session.rollback()
        if not exc.connection_invalidated and not _is_disconnect(exc):
            raise exc
        app.logger.error("database unavailable")
        message = "The database is not answering. Please try again in a moment."
        if wants_json():
            return _json_error(503, message)
        # The page is drawn for no one: asking the database who is signed in would fail again.
        from safehome.extensions import login_manager

        g._login_user = login_manager.anonymous_user()
        return render_template("errors/error.html", status=503, message=message, problems=[]), 503

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        db.session.rollback()
        if exc.code == 401 and not wants_json():
            return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
        if exc.code == 404:
            return not_found()
        if wants_json():
            # webargs (flask-smorest) puts its problems, already keyed by location, in exc.data["messages"].
            response, status = _json_error(exc.code or 500, exc.description or _reason(exc.code or 500),
                                           getattr(exc, "data", {}).get("messages"))
            if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
                response.headers["Allow"] = ", ".join(exc.valid_methods)
            return response, status
        response = exc.get_response()
        response.data = render_template("errors/error.html", status=exc.code, message=exc.description, problems=[])
        response.content_type = "text/html; charset=utf-8"
        return response


def _is_disconnect(exc: DBAPIError) -> bool:
    text = type(exc.orig).__name__
    return text in {"OperationalError", "InterfaceError"}
