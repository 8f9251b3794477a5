"""Server-side SVG charts (the CSP forbids inline script and style: no JS chart library).

Every chart is a small inline <svg> with classes styled in static/css/readiness.css.
"""

from django.utils.html import escape
from django.utils.safestring import mark_safe

from projects.svg import chart

from .models import level_of


def _fmt(value, percent=False):
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        text = f"{value:.1f}"
    else:
        text = str(int(value))
    return text + ("%" if percent else "")


def line_chart(points, *, target=None, percent=False, width=320, height=90, title="", css="", marks=None):
    """A line chart of [(date, value or None), ...] with an optional dashed target line.

    `marks` (same length as points) may name a class per point ("good"/"bad") for its dot."""
    pad_l, pad_r, pad_t, pad_b = 30, 34, 8, 16
    values = [v for _d, v in points if v is not None]
    top = max(values + ([target] if target is not None else []) + [1])
    if percent:
        top = max(top, 100)
    else:
        top = top * 1.15
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b
    n = len(points)

    def x(i):
        return round(pad_l + (plot_w * i / (n - 1) if n > 1 else plot_w / 2), 1)

    def y(v):
        return round(pad_t + plot_h - (plot_h * v / top if top else 0), 1)

    parts = [f'<svg class="chart {escape(css)}" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    # axes and the scale
    parts.append(f'<line class="axis" x1="{pad_l}" y1="{pad_t + plot_h}" x2="{pad_l + plot_w}" y2="{pad_t + plot_h}"/>')
    parts.append(f'<text class="tick" x="{pad_l - 4}" y="{pad_t + 4}" text-anchor="end">{escape(_fmt(top if percent else round(top), percent))}</text>')
    parts.append(f'<text class="tick" x="{pad_l - 4}" y="{pad_t + plot_h}" text-anchor="end">0</text>')
    if target is not None:
        ty = y(target)
        parts.append(f'<line class="target" x1="{pad_l}" y1="{ty}" x2="{pad_l + plot_w}" y2="{ty}"/>')
    if points:
        parts.append(f'<text class="tick" x="{pad_l}" y="{height - 3}">{escape(points[0][0].strftime("%m-%d"))}</text>')
        if n > 1:
            parts.append(f'<text class="tick" x="{pad_l + plot_w}" y="{height - 3}" text-anchor="end">'
                         f'{escape(points[-1][0].strftime("%m-%d"))}</text>')
    # the line, broken where a day has no value
    segment = []
    segments = []
    for i, (_d, v) in enumerate(points):
        if v is None:
            if segment:
                segments.append(segment)
            segment = []
        else:
            segment.append(f"{x(i)},{y(v)}")
    if segment:
        segments.append(segment)
    for seg in segments:
        if len(seg) > 1:
            parts.append(f'<polyline class="line" points="{" ".join(seg)}"/>')
    for i, (d, v) in enumerate(points):
        if v is None:
            continue
        mark = (marks[i] if marks else "") or ""
        last = " last" if i == n - 1 else ""
        parts.append(f'<circle class="pt {escape(mark)}{last}" cx="{x(i)}" cy="{y(v)}" r="{2.6 if last else 1.6}">'
                     f'<title>{escape(d.strftime("%Y-%m-%d"))}: {escape(_fmt(v, percent))}</title></circle>')
    last_value = next((v for _d, v in reversed(points) if v is not None), None)
    if last_value is not None:
        parts.append(f'<text class="value" x="{pad_l + plot_w + 4}" y="{y(last_value) + 4}">'
                     f'{escape(_fmt(last_value, percent))}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - reviewed: every value above escaped or numeric  # nosec: B308, B703


def heat_map(counts, *, link, title, selected=None, likelihood_label="", impact_label=""):
    """The risk register's 5×5 heat map: likelihood up, impact across, each cell coloured by the
    level of its score and showing how many active risks sit there.

    `counts` is {(likelihood, impact): n}; `link(likelihood, impact)` gives the URL that lists the
    cell's risks (an <a> with href and hx-get, so it works with and without JavaScript)."""
    cell, left, top = 44, 34, 6
    size = cell * 5
    parts = []
    for likelihood in range(1, 6):
        y = top + (5 - likelihood) * cell
        parts.append(f'<text class="axis" x="{left - 8}" y="{y + cell / 2 + 4:.0f}" text-anchor="end">{likelihood}</text>')
        for impact in range(1, 6):
            x = left + (impact - 1) * cell
            n = counts.get((likelihood, impact), 0)
            level = level_of(likelihood * impact)
            mark = " selected" if selected == (likelihood, impact) else ""
            url = escape(link(likelihood, impact))
            label = escape(f"{likelihood} × {impact} = {likelihood * impact}: {n}")
            parts.append(
                f'<a href="{url}" aria-label="{label}" hx-get="{url}" hx-target="#risk-table" hx-swap="outerHTML" hx-push-url="true">'
                f'<rect class="heat heat-{level}{mark}" x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" rx="3">'
                f"<title>{label}</title></rect>"
                f'<text class="heat-count" x="{x + cell / 2 - 1:.0f}" y="{y + cell / 2 + 5:.0f}" '
                f'text-anchor="middle">{n or ""}</text></a>')
    for impact in range(1, 6):
        x = left + (impact - 1) * cell + cell / 2
        parts.append(f'<text class="axis" x="{x:.0f}" y="{top + size + 14}" text-anchor="middle">{impact}</text>')
    parts.append(f'<text class="axis-title" x="{left + size / 2:.0f}" y="{top + size + 30}" '
                 f'text-anchor="middle">{escape(impact_label)}</text>')
    parts.append(f'<text class="axis-title" x="10" y="{top + size / 2:.0f}" text-anchor="middle" '
                 f'transform="rotate(-90 10 {top + size / 2:.0f})">{escape(likelihood_label)}</text>')
    return chart(left + size + 6, top + size + 36, "".join(parts), title, css="heat-map", role="group")
