"""PDF documents that people print, sign and archive: the test-cycle exit report, the go/no-go record,
the lessons-learned report. A small builder over fpdf2: a title, headings, paragraphs, label/value
facts, tables and sign-off lines, turned into bytes.

Chinese renders everywhere because the text is set in Noto Sans SC (SIL Open Font License), embedded
as a subset of the glyphs the document uses: a PDF opened on a bank PC without Chinese fonts, a
printer or an archive reader shows the same characters. The font comes from the pip package
`pylopdf-fonts-zh-cn` (the upstream Noto CJK file, unmodified; its SHA-256 is checked by the tests).
Why not reportlab's built-in STSong-Light: a CID font that is *not* embedded, so what a reader sees
depends on the fonts of the machine that opens the file (often nothing at all).
"""

import hashlib
import logging
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from django.http import HttpResponse
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

FONT = "NotoSansSC"
# Noto Sans SC 2.004 (notofonts/noto-cjk, Sans/SubsetOTF/SC): the file the package ships.
FONT_SHA256 = "faa6c9df652116dde789d351359f3d7e5d2285a2b2a1f04a2d7244df706d5ea9"
INK, MUTED, RULE, HEAD_FILL = (31, 41, 51), (102, 112, 122), (200, 205, 210), (236, 239, 243)
GOOD, BAD, WARN = (22, 121, 61), (179, 38, 30), (138, 93, 0)
TONES = {"good": GOOD, "bad": BAD, "warn": WARN, "muted": MUTED}
REPLACEMENT = "?"
# fontTools reports every subsetting step at INFO; a report being printed is not news for the server log.
logging.getLogger("fontTools").setLevel(logging.WARNING)


def font_path() -> Path:
    import pylopdf_fonts_zh_cn

    return Path(pylopdf_fonts_zh_cn.sans_path())


def font_sha256() -> str:
    return hashlib.sha256(font_path().read_bytes()).hexdigest()


@lru_cache(maxsize=1)
def _codepoints() -> frozenset:
    from fontTools.ttLib import TTFont

    with TTFont(font_path(), lazy=True) as font:
        return frozenset(font.getBestCmap())


def missing_glyphs(text: str) -> set:
    """The characters of `text` that the font cannot draw (line breaks and tabs are not characters)."""
    cmap = _codepoints()
    return {ch for ch in text if ch not in "\n\r\t" and ord(ch) not in cmap}


def _clean(text) -> str:
    """Text the font can draw: anything else (an emoji in a comment) becomes "?" rather than a blank box."""
    text = "" if text is None else str(text)
    cmap = _codepoints()
    return "".join(ch if ch in "\n\t" or ord(ch) in cmap else REPLACEMENT for ch in text.replace("\r", ""))


class _Pdf(FPDF):
    footer_text = ""

    def footer(self):
        self.set_y(-12)
        self.set_font(FONT, size=7.5)
        self.set_text_color(*MUTED)
        self.cell(0, 5, _clean(self.footer_text), align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, f"{self.page_no()} / {{nb}}", align="R")


class Report:
    """One A4 document. Methods add blocks top to bottom; `output()` returns the PDF's bytes."""

    def __init__(self, *, title, subtitle="", meta="", footer="", lang="zh-CN", author="Liftoff"):
        pdf = _Pdf(orientation="portrait", unit="mm", format="A4")
        pdf.set_margins(16, 16, 16)
        pdf.set_auto_page_break(auto=True, margin=18)
        pdf.add_font(FONT, "", str(font_path()))
        pdf.set_title(_clean(title))
        pdf.set_author(author)
        pdf.set_creator("Liftoff")
        pdf.set_lang(lang)
        pdf.footer_text = footer
        pdf.alias_nb_pages()
        pdf.add_page()
        self.pdf = pdf
        if subtitle:
            self._text(subtitle, size=9, color=MUTED, height=5)
        self._text(title, size=17, height=9)
        if meta:
            self._text(meta, size=9, color=MUTED, height=5)
        self._rule()

    # ------------------------------------------------------------------ blocks

    def _text(self, text, *, size=10, color=INK, height=5.5, align="L"):
        pdf = self.pdf
        pdf.set_font(FONT, size=size)
        pdf.set_text_color(*color)
        pdf.multi_cell(0, height, _clean(text), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def _rule(self, gap=3):
        pdf = self.pdf
        pdf.ln(1)
        pdf.set_draw_color(*RULE)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(gap)

    def heading(self, text, *, level=1):
        """A section heading; it moves to the next page rather than sitting alone at the bottom."""
        if self.pdf.will_page_break(24):
            self.pdf.add_page()
        self.pdf.ln(3 if level == 1 else 1.5)
        self._text(text, size=13 if level == 1 else 11, height=7 if level == 1 else 6)

    def paragraph(self, text, *, tone=None, size=10):
        self._text(text, size=size, color=TONES.get(tone, INK))
        self.pdf.ln(1)

    def banner(self, text, *, tone="muted"):
        """A boxed verdict line ("Final decision: go", "Pass rate 96 %")."""
        pdf = self.pdf
        pdf.set_font(FONT, size=12)
        pdf.set_text_color(*TONES.get(tone, INK))
        pdf.set_draw_color(*TONES.get(tone, RULE))
        pdf.multi_cell(0, 9, _clean(text), border=1, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)

    def facts(self, pairs):
        """Label/value lines, labels in a narrow column."""
        pdf = self.pdf
        label_w = 42
        for label, value in pairs:
            y = pdf.get_y()
            pdf.set_font(FONT, size=9)
            pdf.set_text_color(*MUTED)
            pdf.multi_cell(label_w, 5.5, _clean(label), new_x=XPos.RIGHT, new_y=YPos.TOP)
            pdf.set_text_color(*INK)
            pdf.set_font(FONT, size=10)
            pdf.multi_cell(0, 5.5, _clean(value) or "—", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_y(max(pdf.get_y(), y + 5.5))
        pdf.ln(1)

    def table(self, headers, rows, *, widths=None, align=None, size=8.5, empty=""):
        """A bordered table; the header row repeats on every page it runs over. `align` is one letter
        per column (L, C, R)."""
        pdf = self.pdf
        rows = [[_clean(c) for c in row] for row in rows]
        if not rows:
            if empty:
                self.paragraph(empty, tone="muted", size=9)
            return
        pdf.set_font(FONT, size=size)
        pdf.set_text_color(*INK)
        pdf.set_draw_color(*RULE)
        head = FontFace(emphasis="", fill_color=HEAD_FILL, color=INK)
        with pdf.table(col_widths=widths, headings_style=head, line_height=size * 0.55,
                       text_align=tuple(align) if align else "LEFT", first_row_as_headings=True,
                       padding=1.2) as table:
            header = table.row()
            for h in headers:
                header.cell(_clean(h))
            for row in rows:
                cells = table.row()
                for value in row:
                    cells.cell(value)
        pdf.ln(2)

    def signoff(self, roles, *, labels=("Name", "Signature", "Date")):
        """Blank lines to sign on paper: one row per role (name, signature, date)."""
        pdf = self.pdf
        if pdf.will_page_break(14 * len(roles) + 8):
            pdf.add_page()
        width = pdf.w - pdf.l_margin - pdf.r_margin
        cols = [width * 0.28, width * 0.26, width * 0.28, width * 0.18]
        pdf.ln(4)
        for role in roles:
            y = pdf.get_y() + 9
            x = pdf.l_margin
            pdf.set_font(FONT, size=9.5)
            pdf.set_text_color(*INK)
            pdf.set_xy(x, y - 5)
            pdf.cell(cols[0], 5, _clean(role))
            x += cols[0]
            pdf.set_draw_color(*MUTED)
            for i, label in enumerate(labels):
                w = cols[i + 1] - 4
                pdf.line(x, y, x + w, y)
                pdf.set_xy(x, y + 0.5)
                pdf.set_font(FONT, size=7)
                pdf.set_text_color(*MUTED)
                pdf.cell(w, 3.5, _clean(label))
                x += cols[i + 1]
            pdf.set_y(y + 6)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    """Serve a generated PDF inline (the browser's viewer prints it), never cached."""
    response = HttpResponse(content, content_type="application/pdf")
    safe = "".join(ch if (ch.isascii() and ch.isalnum()) or ch in "-_." else "-" for ch in filename)
    response["Content-Disposition"] = f'inline; filename="{safe}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def stamp_line(printed_at: datetime, *parts) -> str:
    return " · ".join([*(str(p) for p in parts if p), f"{printed_at:%Y-%m-%d %H:%M}", "Liftoff"])
