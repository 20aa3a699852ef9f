"""The check every JSON request body passes at the request boundary, before any schema reads it.

Python's JSON parser recurses once per level of nesting, so a body nested about
a thousand deep raised RecursionError, and text holding a lone surrogate
(``"\\ud800"``, valid JSON but not Unicode) raised UnicodeEncodeError wherever it
reached the database or a page: both were 500s. Here the nesting is measured
without recursion and limited, and every string is checked, once for every
endpoint, so no field has to remember to.
"""
from __future__ import annotations

import json
import re
from itertools import accumulate, islice

from flask import Flask, request

from safehome.errors import DomainError, FieldProblem, ValidationError

# The deepest real body is a perpetrator request's exclusion zone, a GeoJSON MultiPolygon inside a list
# inside the body: 7 levels.
MAX_DEPTH = 20
MAX_PROBLEMS = 20  # fields named in one answer: enough to fix, without echoing a huge body back

_ESCAPE = re.compile(r"\\.", re.S)
_STRING = re.compile(r'"[^"]*"')  # once escapes are gone a string cannot hold a quote, so this cannot backtrack
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def check(data: bytes) -> None:
    """Refuse a body that is not UTF-8, nests deeper than ``MAX_DEPTH`` or holds a lone surrogate.

    Raises DomainError (400) for the body as a whole, ValidationError (422) naming the field with the
    bad text. A body that is merely not JSON is left to the schemas' parser, which says so.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise DomainError("The body is not UTF-8 text.") from None
    _check_depth(text)
    if not _SURROGATE_ESCAPE.search(text):
        return  # only a \uD800-\uDFFF escape can make a surrogate (UTF-8 cannot carry one)
    try:
        value = json.loads(text)
    except ValueError:
        return
    problems = [FieldProblem(path or "(body)", "is not valid Unicode text (it holds a lone surrogate)")
                for path in islice(_paths_with_surrogates(value, ""), MAX_PROBLEMS)]
    if problems:
        raise ValidationError("The body holds text that is not valid Unicode.", problems)


def _check_depth(text: str) -> None:
    """Refuse nesting deeper than ``MAX_DEPTH``: the running count of open brackets outside strings.

    Counted in one pass without recursion. Brackets that do not pair up are left to the parser, which
    stops at the first one, never deeper than the count reached there.
    """
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", _ESCAPE.sub("", text)))
    if any(map(MAX_DEPTH.__lt__, accumulate(map(_STEP.__getitem__, brackets)))):
        raise DomainError(f"The body is nested deeper than {MAX_DEPTH} levels.")


def _paths_with_surrogates(value, path: str):
    """The paths (``members/0/name``) of the strings, keys included, that hold a lone surrogate."""
    if isinstance(value, str):
        if _SURROGATE.search(value):
            yield path
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths_with_surrogates(item, f"{path}/{index}" if path else str(index))
    elif isinstance(value, dict):
        for key, item in value.items():
            # A bad key is named by its escaped form: the raw one could not even be written in the answer.
            name = key.encode("utf-8", "backslashreplace").decode("utf-8")
            inner = f"{path}/{name}" if path else name
            if _SURROGATE.search(key):
                yield inner
            else:
                yield from _paths_with_surrogates(item, inner)


def init_app(app: Flask) -> None:
    @app.before_request
    def check_json_body():
        # After authentication (registered later): a body is read only for a caller let in.
        if request.is_json:
            check(request.get_data(cache=True))
