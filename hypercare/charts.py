"""Server-side SVG charts of the hypercare dashboard (strict CSP: colours come from CSS classes)."""

from django.utils.html import escape
from django.utils.translation import gettext as _

from projects import svg

from .models import FeedbackCategory


def _day_label(i, n):
    step = 1 if n <= 14 else 3 if n <= 28 else 7
    return i % step == 0 or i == n - 1


def incident_trend(trend):
    """New vs resolved incidents per day: two bars per day, with a legend."""
    w, h, left, top, bottom = 1200, 240, 36, 24, 28
    plot_w, plot_h = w - left - 8, h - top - bottom
    peak = svg.nice_max(max([d["new"] for d in trend] + [d["resolved"] for d in trend] + [1]))
    slot = plot_w / max(len(trend), 1)
    bw = max(slot * 0.38, 1)
    names = {"new": _("New incidents"), "resolved": _("Resolved incidents")}
    parts = [svg.grid(left, top, plot_w, plot_h, peak)]
    for i, d in enumerate(trend):
        x = left + i * slot + slot * 0.1
        for j, key in enumerate(("new", "resolved")):
            bh = plot_h * d[key] / peak
            parts.append(f'<rect class="hc-{key}" x="{x + j * bw:.1f}" y="{top + plot_h - bh:.1f}" width="{bw:.1f}" '
                         f'height="{bh:.1f}"><title>{d["day"]:%m-%d} · {escape(names[key])}: {d[key]}</title></rect>')
        if _day_label(i, len(trend)):
            parts.append(f'<text class="axis" x="{x + bw:.1f}" y="{h - 8}" text-anchor="middle">{d["day"]:%m-%d}</text>')
    parts.append(f'<rect class="hc-new" x="{left}" y="4" width="10" height="10"/>'
                 f'<text class="legend" x="{left + 14}" y="13">{escape(names["new"])}</text>'
                 f'<rect class="hc-resolved" x="{left + 160}" y="4" width="10" height="10"/>'
                 f'<text class="legend" x="{left + 174}" y="13">{escape(names["resolved"])}</text>')
    return svg.chart(w, h, "".join(parts), _("New and resolved incidents per day"), "chart-wide")


def feedback_trend(days):
    """Feedback received per day, stacked by category, with a legend."""
    w, h, left, top, bottom = 1200, 220, 36, 24, 28
    plot_w, plot_h = w - left - 8, h - top - bottom
    cats = list(FeedbackCategory)
    peak = svg.nice_max(max([sum(d[c.value] for c in cats) for d in days] + [1]))
    slot = plot_w / max(len(days), 1)
    bw = max(slot * 0.6, 1)
    parts = [svg.grid(left, top, plot_w, plot_h, peak)]
    for i, d in enumerate(days):
        x = left + i * slot + slot * 0.2
        y = top + plot_h
        for c in cats:
            if not d[c.value]:
                continue
            bh = plot_h * d[c.value] / peak
            y -= bh
            parts.append(f'<rect class="fb-{c.value}" x="{x:.1f}" y="{y:.1f}" width="{bw:.1f}" height="{bh:.1f}">'
                         f'<title>{d["day"]:%m-%d} · {escape(c.label)}: {d[c.value]}</title></rect>')
        if _day_label(i, len(days)):
            parts.append(f'<text class="axis" x="{x + bw / 2:.1f}" y="{h - 8}" text-anchor="middle">'
                         f'{d["day"]:%m-%d}</text>')
    x = left
    for c in cats:
        parts.append(f'<rect class="fb-{c.value}" x="{x}" y="4" width="10" height="10"/>'
                     f'<text class="legend" x="{x + 14}" y="13">{escape(c.label)}</text>')
        x += 150
    return svg.chart(w, h, "".join(parts), _("Feedback received per day by category"), "chart-wide")


def complaint_trend(trend):
    """Customer complaints received per day (one bar a day)."""
    w, h, left, top, bottom = 1200, 200, 36, 16, 28
    plot_w, plot_h = w - left - 8, h - top - bottom
    peak = svg.nice_max(max([d["count"] for d in trend] + [1]))
    slot = plot_w / max(len(trend), 1)
    bw = max(slot * 0.6, 1)
    label = _("Complaints received")
    parts = [svg.grid(left, top, plot_w, plot_h, peak)]
    for i, d in enumerate(trend):
        x = left + i * slot + slot * 0.2
        bh = plot_h * d["count"] / peak
        parts.append(f'<rect class="hc-complaint" x="{x:.1f}" y="{top + plot_h - bh:.1f}" width="{bw:.1f}" '
                     f'height="{bh:.1f}"><title>{d["day"]:%m-%d} · {escape(label)}: {d["count"]}</title></rect>')
        if _day_label(i, len(trend)):
            parts.append(f'<text class="axis" x="{x + bw / 2:.1f}" y="{h - 8}" text-anchor="middle">'
                         f'{d["day"]:%m-%d}</text>')
    return svg.chart(w, h, "".join(parts), _("Customer complaints received per day"), "chart-wide")
