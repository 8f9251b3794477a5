"""Text colours keep 4.5:1 (WCAG 2.1 AA, 1.4.3) against the background of the same CSS rule, for
every rule in static/css that sets both (pills, badges, chips, banners, buttons). The browser test
(tests/e2e/test_accessibility.py) checks rendered pages with axe; this one checks every rule, also
those of states the demo never shows, and runs without a browser."""

import re
from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parent.parent / "static" / "css"
RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
HEX = re.compile(r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
# Disabled controls are exempt from 1.4.3 ("text that is part of an inactive user interface component").
EXEMPT = re.compile(r"disabled|print")


def _tokens():
    root = (CSS / "liftoff.css").read_text()
    block = re.search(r":root\s*\{([^}]*)\}", root).group(1)
    return dict(re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{3,6})", block))


def _resolve(value, tokens):
    value = value.strip().removesuffix("!important").strip()
    var = re.fullmatch(r"var\((--[\w-]+)(?:,\s*(#[0-9a-fA-F]{3,6}))?\)", value)
    if var:
        value = tokens.get(var.group(1), var.group(2) or "")
    if value in ("#fff", "#ffffff", "white"):
        return "#ffffff"
    return value if HEX.match(value or "") else None


def _luminance(colour):
    h = colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    channels = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    channels = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]


def contrast(a, b):
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _pairs():
    tokens = _tokens()
    for path in sorted(CSS.glob("*.css")):
        text = re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.S)
        text = re.sub(r"@media print\s*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", text)
        for selector, body in RULE.findall(text):
            if EXEMPT.search(selector) or "svg" in selector:
                continue
            declarations = dict(
                (k.strip(), v.strip()) for k, _, v in (d.partition(":") for d in body.split(";")) if v.strip())
            colour = _resolve(declarations.get("color", ""), tokens)
            background = _resolve(declarations.get("background", declarations.get("background-color", "")), tokens)
            if colour and background:
                yield f"{path.name} {selector.strip()}", colour, background


def test_the_css_has_rules_to_check():
    assert len(list(_pairs())) > 80


@pytest.mark.parametrize("where, colour, background", list(_pairs()))
def test_text_on_its_background_is_at_least_4_5_to_1(where, colour, background):
    assert contrast(colour, background) >= 4.5, f"{where}: {colour} on {background} is {contrast(colour, background):.2f}:1"


def test_the_page_texts_on_the_page_backgrounds():
    tokens = _tokens()
    for text in ("--ink", "--muted", "--brand-2", "--bad", "--good", "--warn-ink"):
        for background in ("#ffffff", tokens["--bg"], "#fafbfc"):
            assert contrast(tokens[text], background) >= 4.5, (text, background)
