"""Response headers that keep pages from being framed, sniffed, cached or leaking referrers."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask


def content_security_policy(tile_url: str) -> str:
    img = "'self' data:"
    if tile_url:
        # Only when a setting names a tile server may the map fetch from it.
        parts = urlsplit(tile_url.replace("{s}", "a").replace("{z}", "0").replace("{x}", "0").replace("{y}", "0"))
        img += f" {parts.scheme}://{parts.hostname}"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src {img}; connect-src 'self'; font-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def init_app(app: Flask) -> None:
    csp = content_security_policy(app.config.get("MAP_TILE_URL", ""))
    production = app.config["ENV_NAME"] == "production"

    @app.after_request
    def headers(response):
        response.headers["Content-Security-Policy"] = csp
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Permissions-Policy"] = "geolocation=(), camera=(), microphone=()"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        # Case data must never sit in a shared or browser cache.
        if not response.headers.get("Cache-Control"):
            response.headers["Cache-Control"] = "no-store"
        if production:
            response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        return response
