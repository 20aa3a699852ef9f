"""Small helpers every blueprint's views share."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash

from safehome.errors import ValidationError
from safehome.extensions import db


def form_errors_from(form, exc: ValidationError) -> None:
    """Undo the failed change, and attach the service's field problems to the form's fields."""
    db.session.rollback()
    for problem in exc.problems:
        field = getattr(form, problem.field.split(".")[0].split("/")[0], None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + [problem.message]
        else:
            flash(f"{problem.field}: {problem.message}", "error")
    if not exc.problems:
        flash(exc.message, "error")


def safe_next(target: str | None, default: str) -> str:
    """Only our own paths: never an absolute URL, a scheme or a protocol-relative path."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
