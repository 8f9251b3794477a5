"""Primitives of the server-side SVG charts every app draws (the CSP forbids inline script and style,
so there is no JavaScript chart library: colours come from CSS classes)."""

from django.utils.html import escape
from django.utils.safestring import mark_safe


def nice_max(value):
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if value <= step * 4:
            return step * 4 if value > 0 else 4
    return value


def chart(width, height, body, label, css="", role="img"):
    """`role="group"` for a chart whose parts are links (an image may not hold focusable parts)."""
    return mark_safe(  # noqa: S308 - reviewed: label escaped here, body built by these helpers from escaped text  # nosec: B308, B703
        f'<svg class="chart {css}" viewBox="0 0 {width} {height}" role="{role}" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>{body}</svg>"
    )


def grid(left, top, width, height, top_value):
    parts = []
    for i in range(5):
        y = top + height - height * i / 4
        parts.append(f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{left + width}" y2="{y:.1f}"/>'
                     f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
                     f"{round(top_value * i / 4)}</text>")
    return "".join(parts)
