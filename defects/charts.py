"""Server-side SVG charts (strict CSP: no JavaScript, no inline style; colours come from CSS classes)."""

from django.utils.html import escape
from django.utils.translation import gettext as _

from projects import svg


def arrivals_closures(days):
    """Arrivals and closures per day: two bars per day, with a legend."""
    w, h, left, top, bottom = 1200, 240, 36, 24, 28
    plot_w, plot_h = w - left - 8, h - top - bottom
    peak = svg.nice_max(max([d["arrivals"] for d in days] + [d["closures"] for d in days] + [1]))
    slot = plot_w / max(len(days), 1)
    bw = max(slot * 0.38, 1)
    parts = [svg.grid(left, top, plot_w, plot_h, peak)]
    names = {"arrivals": _("Arrivals"), "closures": _("Closures")}
    for i, d in enumerate(days):
        x = left + i * slot + slot * 0.1
        for j, (key, css) in enumerate((("arrivals", "arrivals"), ("closures", "closures"))):
            value = d[key]
            bh = plot_h * value / peak
            parts.append(f'<rect class="{css}" x="{x + j * bw:.1f}" y="{top + plot_h - bh:.1f}" width="{bw:.1f}" '
                         f'height="{bh:.1f}"><title>{d["day"]:%m-%d} · {escape(names[key])}: {value}</title>'
                         f"</rect>")
        if i % 5 == 0 or i == len(days) - 1:
            parts.append(f'<text class="axis" x="{x + bw:.1f}" y="{h - 8}" text-anchor="middle">'
                         f'{d["day"]:%m-%d}</text>')
    parts.append(f'<rect class="arrivals" x="{left}" y="4" width="10" height="10"/>'
                 f'<text class="legend" x="{left + 14}" y="13">{escape(_("Arrivals"))}</text>'
                 f'<rect class="closures" x="{left + 110}" y="4" width="10" height="10"/>'
                 f'<text class="legend" x="{left + 124}" y="13">{escape(_("Closures"))}</text>')
    return svg.chart(w, h, "".join(parts), _("Defects arriving and closed per day"), "chart-wide")


def columns(rows, *, label_key="label", css=""):
    """Vertical bars, one per row ({label, count})."""
    w, h, left, top, bottom = 560, 220, 30, 16, 28
    plot_w, plot_h = w - left - 8, h - top - bottom
    peak = svg.nice_max(max([r["count"] for r in rows] + [1]))
    slot = plot_w / max(len(rows), 1)
    parts = [svg.grid(left, top, plot_w, plot_h, peak)]
    for i, r in enumerate(rows):
        bh = plot_h * r["count"] / peak
        x = left + i * slot + slot * 0.15
        parts.append(f'<rect class="bar-col {css}-{i}" x="{x:.1f}" y="{top + plot_h - bh:.1f}" '
                     f'width="{slot * 0.7:.1f}" height="{bh:.1f}"><title>{escape(r[label_key])}: {r["count"]}</title>'
                     f'</rect><text class="value" x="{x + slot * 0.35:.1f}" y="{top + plot_h - bh - 4:.1f}" '
                     f'text-anchor="middle">{r["count"]}</text>'
                     f'<text class="axis" x="{x + slot * 0.35:.1f}" y="{h - 10}" text-anchor="middle">'
                     f"{escape(r[label_key])}</text>")
    return svg.chart(w, h, "".join(parts), _("Open defects by age"), "chart-small")


def hbars(rows, *, label=None):
    """Horizontal bars ({label, count, css})."""
    w, row_h, left = 560, 30, 90
    h = row_h * len(rows) + 8
    peak = max([r["count"] for r in rows] + [1])
    parts = []
    for i, r in enumerate(rows):
        y = 4 + i * row_h
        bw = (w - left - 40) * r["count"] / peak
        parts.append(f'<text class="axis" x="{left - 8}" y="{y + 18}" text-anchor="end">{escape(r["label"])}</text>'
                     f'<rect class="hbar {r.get("css", "")}" x="{left}" y="{y + 5}" width="{bw:.1f}" height="18" '
                     f'rx="2"/><text class="value" x="{left + bw + 6:.1f}" y="{y + 18}">{r["count"]}</text>')
    return svg.chart(w, h, "".join(parts), label or _("Open defects by severity"), "chart-small")


# Same cut-offs as the `bar` template tag (cycle pages), so a cycle has one colour everywhere:
# green from the 95 % readiness target, amber from 60 %, red below.
PASS_GOOD, PASS_WARN = 95, 60


def pass_tone(rate):
    return "good" if rate >= PASS_GOOD else "warn" if rate >= PASS_WARN else "bad"


def pass_rate_legend():
    """(css tone, label) for the pass-rate chart's legend, in the order of the tones."""
    return [("good", _("passed, %(n)s%% or more") % {"n": PASS_GOOD}),
            ("warn", _("passed, %(low)s–%(high)s%%") % {"low": PASS_WARN, "high": PASS_GOOD - 1}),
            ("bad", _("passed, under %(n)s%%") % {"n": PASS_WARN})]


def pass_rates(cycles):
    """Per-cycle pass rate (passed of all cases) with the executed share behind it."""
    w, row_h, left = 1200, 30, 260
    h = row_h * max(len(cycles), 1) + 8
    plot = w - left - 70
    parts = []
    for i, c in enumerate(cycles):
        y = 4 + i * row_h
        total = c["total"] or 1
        executed = plot * c["executed"] / total
        passed = plot * c["passed"] / total
        rate = round(c["passed"] * 100 / total) if c["total"] else 0
        tone = pass_tone(rate)
        name = c["cycle"].name if len(c["cycle"].name) <= 32 else c["cycle"].name[:31] + "…"
        parts.append(f'<text class="axis" x="{left - 8}" y="{y + 18}" text-anchor="end">{escape(name)}</text>'
                     f'<rect class="track" x="{left}" y="{y + 5}" width="{plot}" height="18" rx="2"/>'
                     f'<rect class="executed" x="{left}" y="{y + 5}" width="{executed:.1f}" height="18" rx="2"/>'
                     f'<rect class="passed {tone}" x="{left}" y="{y + 5}" width="{passed:.1f}" height="18" rx="2">'
                     f'<title>{escape(c["cycle"].name)}: {c["passed"]}/{c["total"]}</title></rect>'
                     f'<text class="value" x="{left + plot + 6}" y="{y + 18}">{rate}%</text>')
    if not cycles:
        parts.append(f'<text class="axis" x="10" y="22">{escape(_("No test cycles yet."))}</text>')
    return svg.chart(w, h, "".join(parts), _("Pass rate per test cycle"), "chart-wide")


def perf_trend(target, points):
    """One transaction over its runs (oldest first): the 95th percentile per run as bars, green when the
    run met the target and red when not, with the target drawn as a dashed line."""
    w, h, left, top, bottom = 560, 170, 44, 14, 30
    plot_w, plot_h = w - left - 10, h - top - bottom
    values = [p["result"].p95_ms for p in points]
    peak = svg.nice_max(max(values + [target.p95_ms * 1.2, 1]))
    slot = plot_w / max(len(points), 1)
    parts = [svg.grid(left, top, plot_w, plot_h, peak)]
    for i, p in enumerate(points):
        r = p["result"]
        bh = plot_h * min(r.p95_ms, peak) / peak
        x = left + i * slot + slot * 0.2
        tone = "good" if r.passed else "bad"
        label = _("%(run)s: p95 %(p95)s ms, %(tps)s/s, %(err)s%% errors") % {
            "run": p["run"].name, "p95": f"{r.p95_ms:g}", "tps": f"{r.tps:g}" if r.tps is not None else "—",
            "err": f"{r.error_rate:g}"}
        parts.append(f'<rect class="perf {tone}" x="{x:.1f}" y="{top + plot_h - bh:.1f}" width="{slot * 0.6:.1f}" '
                     f'height="{bh:.1f}"><title>{escape(label)}</title></rect>'
                     f'<text class="axis" x="{x + slot * 0.3:.1f}" y="{h - 12}" text-anchor="middle">'
                     f'{p["run"].imported_at:%m-%d}</text>')
    y = top + plot_h - plot_h * target.p95_ms / peak
    parts.append(f'<line class="target" x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}"/>'
                 f'<text class="legend" x="{left + plot_w}" y="{y - 4:.1f}" text-anchor="end">'
                 f'{escape(_("target %(ms)s ms") % {"ms": target.p95_ms})}</text>')
    if not points:
        parts.append(f'<text class="axis" x="{left + 8}" y="{top + 20}">{escape(_("No run measured it yet."))}</text>')
    return svg.chart(w, h, "".join(parts), _("95th percentile of %(name)s per run") % {"name": target.transaction},
                     "chart-small")
