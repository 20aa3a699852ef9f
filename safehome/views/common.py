"""Small helpers every blueprint's views share."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash
from wtforms import IntegerField, SelectChoice, SelectMultipleField
from wtforms.validators import NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from safehome.errors import DomainError
from safehome.extensions import db


def form_errors_from(form, exc: DomainError) -> None:
    """Undo the failed change, and attach the service's field problems to the form's fields (or show its message)."""
    db.session.rollback()
    for problem in exc.problems:
        field = getattr(form, problem.field.split(".")[0].split("/")[0], None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + [problem.message]
        else:
            flash(f"{problem.field}: {problem.message}", "error")
    if not exc.problems:
        flash(exc.message, "error")


class CheckboxesField(SelectMultipleField):
    """A group of checkboxes, drawn by the ``checkboxes`` macro of ``_forms.html``.

    Pass ``validate_choice=False`` where the service checks the codes and names the field itself.
    """

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def select_choices(pairs) -> list[SelectChoice]:
    """``(code, label)`` pairs (``Coded.choices()``) as WTForms options; plain tuples are deprecated."""
    return [SelectChoice(value, label) for value, label in pairs]


def safe_next(target: str | None, default: str) -> str:
    """Only our own paths: never an absolute URL, a scheme or a protocol-relative path."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def page_field() -> IntegerField:
    """A list's page number in its query string: 1 when absent, a whole number from 1 otherwise."""
    return IntegerField("Page", default=1, validators=[Optional(), NumberRange(1, 10**6)])
