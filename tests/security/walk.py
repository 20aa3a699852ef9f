"""Walking the app: every GET page and API operation with sample arguments, and the forms on each page."""
from __future__ import annotations

from html.parser import HTMLParser

from tests.security.conftest import sample_values

# Library and static endpoints that serve no case data and hold no forms.
NOT_WALKED = {"static"}


def page_rules(app, method: str):
    """Rules of pages (not the JSON API) answering ``method``, sorted for stable ids."""
    return sorted((r for r in app.url_map.iter_rules()
                   if method in r.methods and r.endpoint not in NOT_WALKED and not r.rule.startswith("/api/")),
                  key=lambda r: r.rule)


def api_rules(app, method: str):
    return sorted((r for r in app.url_map.iter_rules()
                   if method in r.methods and r.rule.startswith("/api/v1/")), key=lambda r: r.rule)


def url_for_rule(app, rule, values: dict | None = None) -> str:
    """The rule's URL with ids of real demo rows, or the ``values`` given for some (or all) of its arguments."""
    with app.test_request_context():
        return rule.build({**sample_values(rule), **(values or {})}, append_unknown=False)[1]


def walk_pages(app, client):
    """GET every page as ``client``; yields (url, response)."""
    for rule in page_rules(app, "GET"):
        url = url_for_rule(app, rule)
        yield url, client.get(url)


class Forms(HTMLParser):
    """Every <form>: its method, action, and the names of its inputs."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._current: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._current = {"method": (attrs.get("method") or "get").lower(), "action": attrs.get("action") or "",
                             "inputs": set()}
            self.forms.append(self._current)
        elif tag in ("input", "button", "select", "textarea") and self._current is not None and attrs.get("name"):
            self._current["inputs"].add(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def forms_of(html: str) -> list[dict]:
    parser = Forms()
    parser.feed(html)
    return parser.forms
