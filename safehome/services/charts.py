"""SVG charts drawn on the server: bars, lines and histograms, with no script of any kind.

Each chart is one self-contained ``<svg>`` (presentation attributes, no CSS,
so the same text works inline on a page and as a downloaded ``.svg`` file).
It is labelled for assistive technology: ``role="img"``, a ``<title>`` and a
``<desc>`` that says what it shows in words, a ``<title>`` on every bar and
point with its value; the page always prints the same figures in a table
beside it. A value may be a number or a mark (``"<5"``, ``"*"``) when the
chart leaves the system with small numbers suppressed: no bar is drawn for
it and the mark is written in its place.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 320
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 72
# Colour-blind-safe (Okabe-Ito) on white, each with 3:1+ contrast against the background.
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00", "#000000")
INK = "#0b0c0c"
GRID = "#b1b4b6"
_ids = itertools.count(1)


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | int | str | None]  # a str is a suppression mark; None: no figure


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _nice_max(top: float) -> float:
    """A round axis maximum at or above ``top`` (1, 2 or 5 times a power of ten)."""
    if top <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(top))
    for step in (1, 2, 5, 10):
        if step * power >= top:
            return float(step * power)
    return float(10 * power)


def _label(value) -> str:
    number = _number(value)
    if number is None:
        return str(value) if value not in (None, "") else "no figure"
    return f"{number:g}"


class _Frame:
    """The plot area and its value axis, shared by every kind of chart."""

    def __init__(self, title: str, desc: str, categories: Sequence[str], series: Sequence[Series], unit: str):
        self.uid = f"chart{next(_ids)}"
        self.categories, self.series, self.unit = list(categories), list(series), unit
        numbers = [n for s in series for n in map(_number, s.values) if n is not None]
        self.top = _nice_max(max(numbers, default=0.0))
        self.plot_w, self.plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
        legend_rows = math.ceil(len(series) / 3) if len(series) > 1 else 0
        self.height = HEIGHT + 18 * legend_rows
        self.parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {self.height}" width="100%" '
            f'role="img" aria-labelledby="{self.uid}-title {self.uid}-desc" class="chart" '
            f'font-family="Arial, Helvetica, sans-serif" font-size="12">',
            f'<title id="{self.uid}-title">{escape(title)}</title>',
            f'<desc id="{self.uid}-desc">{escape(desc)}</desc>',
            f'<rect x="0" y="0" width="{WIDTH}" height="{self.height}" fill="#ffffff"/>',
        ]
        for i in range(5):
            value = self.top * i / 4
            y = self.y(value)
            self.parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="{GRID}" '
                              f'stroke-width="1"/>')
            self.parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{INK}">'
                              f'{value:g}{escape(unit)}</text>')
        self.parts.append(f'<line x1="{LEFT}" y1="{self.y(0):.1f}" x2="{WIDTH - RIGHT}" y2="{self.y(0):.1f}" '
                          f'stroke="{INK}" stroke-width="1.5"/>')

    def y(self, value: float) -> float:
        return TOP + self.plot_h * (1 - value / self.top)

    def category_labels(self, centres: Sequence[float]) -> None:
        for label, x in zip(self.categories, centres):
            text = label if len(label) <= 22 else label[:21] + "…"
            self.parts.append(f'<text x="{x:.1f}" y="{self.y(0) + 14:.1f}" text-anchor="end" fill="{INK}" '
                              f'transform="rotate(-30 {x:.1f} {self.y(0) + 14:.1f})">{escape(text)}</text>')

    def legend(self) -> None:
        if len(self.series) < 2:
            return
        for i, s in enumerate(self.series):
            x = LEFT + (i % 3) * 210
            y = HEIGHT + 18 * (i // 3) - 4
            self.parts.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{COLOURS[i % len(COLOURS)]}"/>'
                              f'<text x="{x + 18}" y="{y}" fill="{INK}">{escape(s.name)}</text>')

    def done(self) -> Markup:
        self.legend()
        self.parts.append("</svg>")
        return Markup("".join(self.parts))


def bar_chart(title: str, desc: str, categories: Sequence[str], series: Sequence[Series], *, unit: str = "",
              histogram: bool = False) -> Markup:
    """Vertical bars, grouped by category (one colour per series); ``histogram`` puts the bars edge to edge."""
    frame = _Frame(title, desc, categories, series, unit)
    n = max(len(categories), 1)
    slot = frame.plot_w / n
    gap = 0.0 if histogram else slot * 0.2
    bar_w = (slot - gap) / max(len(series), 1)
    centres = []
    for c, category in enumerate(categories):
        left = LEFT + c * slot + gap / 2
        centres.append(left + (slot - gap) / 2)
        for s_index, s in enumerate(series):
            value = s.values[c] if c < len(s.values) else None
            x = left + s_index * bar_w
            number = _number(value)
            what = f"{category}: {s.name} {_label(value)}{unit if number is not None else ''}"
            if number is None:
                frame.parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{frame.y(0) - 4:.1f}" text-anchor="middle" '
                                   f'fill="{INK}"><title>{escape(what)}</title>{escape(_label(value))}</text>')
                continue
            top = frame.y(number)
            frame.parts.append(
                f'<rect x="{x:.1f}" y="{top:.1f}" width="{max(bar_w - (0 if histogram else 2), 1):.1f}" '
                f'height="{frame.y(0) - top:.1f}" fill="{COLOURS[s_index % len(COLOURS)]}" '
                f'stroke="{"#ffffff" if histogram else "none"}"><title>{escape(what)}</title></rect>')
    frame.category_labels(centres)
    return frame.done()


def line_chart(title: str, desc: str, categories: Sequence[str], series: Sequence[Series], *,
               unit: str = "") -> Markup:
    """One line per series across the categories (in order, e.g. quarters); a missing value breaks the line."""
    frame = _Frame(title, desc, categories, series, unit)
    n = max(len(categories), 1)
    step = frame.plot_w / n
    centres = [LEFT + step * (c + 0.5) for c in range(n)]
    for s_index, s in enumerate(series):
        colour = COLOURS[s_index % len(COLOURS)]
        run: list[str] = []
        points = []
        for c, category in enumerate(categories):
            value = s.values[c] if c < len(s.values) else None
            number = _number(value)
            if number is None:
                if len(run) > 1:
                    points.append(run)
                run = []
                continue
            run.append(f"{centres[c]:.1f},{frame.y(number):.1f}")
        if len(run) > 1:
            points.append(run)
        for segment in points:
            frame.parts.append(f'<polyline points="{" ".join(segment)}" fill="none" stroke="{colour}" '
                               f'stroke-width="2.5"/>')
        for c, category in enumerate(categories):
            value = s.values[c] if c < len(s.values) else None
            number = _number(value)
            what = f"{category}: {s.name} {_label(value)}{unit if number is not None else ''}"
            if number is None:
                continue
            frame.parts.append(f'<circle cx="{centres[c]:.1f}" cy="{frame.y(number):.1f}" r="4" fill="{colour}">'
                               f'<title>{escape(what)}</title></circle>')
    frame.category_labels(centres)
    return frame.done()


def histogram(title: str, desc: str, bins: Sequence[str], counts: Sequence[float | int | str | None], *,
              name: str = "Households") -> Markup:
    """A distribution: one bar per bin, edge to edge."""
    return bar_chart(title, desc, bins, [Series(name, counts)], histogram=True)

