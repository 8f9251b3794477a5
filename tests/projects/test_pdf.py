"""projects/pdf.py: Chinese renders (the text comes back out of the PDF, from an embedded font that has
every glyph the Chinese catalogue uses), tables run over pages, and the three reports built on it."""

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from projects import pdf
from tests.utils import htmx

CHINESE = "测试周期退出报告：系统集成测试第一轮，通过率 95.5%；严重缺陷 0 个。签字 · 日期"


def _clean(text):
    # pypdf reads fpdf2's ToUnicode map with a NUL before each character and spaces between CJK glyphs;
    # both are dropped (poppler's pdftotext reads the same files as plain "测试经理").
    return re.sub(r"[\s\x00]+", "", text)


def text_of(content: bytes) -> str:
    """Every page's text, without whitespace."""
    reader = PdfReader(io.BytesIO(content))
    return "".join(_clean(page.extract_text()) for page in reader.pages)


def fonts_of(content: bytes):
    """(base font name, embedded?) for every font the pages use."""
    reader = PdfReader(io.BytesIO(content))
    found = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant["/FontDescriptor"].get_object()
            found[str(font["/BaseFont"])] = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    return found


def test_chinese_text_comes_back_out_of_an_embedded_font():
    doc = pdf.Report(title="上线决策记录", subtitle="核心银行系统 · CBS", meta="2027-01-10")
    doc.heading("范围")
    doc.paragraph(CHINESE)
    doc.facts([("用例数", "150"), ("Coverage", "42 / 45")])
    doc.table(["严重程度", "未关闭"], [["严重", 0], ["主要", 3]])
    doc.signoff(["测试经理", "项目经理"], labels=("姓名", "签字", "日期"))
    content = doc.output()
    assert content.startswith(b"%PDF-")
    text = text_of(content)
    for piece in ("上线决策记录", re.sub(r"\s+", "", CHINESE), "严重程度", "测试经理", "姓名"):
        assert piece in text
    fonts = fonts_of(content)
    assert len(fonts) == 1 and all(fonts.values())  # one font, embedded (a subset: no reader's fonts needed)
    assert next(iter(fonts)).endswith("+NotoSansSC")


def test_the_font_covers_every_chinese_glyph_of_the_catalogue():
    """Every character of every Chinese translation (what the reports print) is in the font."""
    po = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    translations = "".join(re.findall(r'^msgstr "(.*)"$', po.read_text(encoding="utf-8"), flags=re.M))
    assert len(translations) > 10_000
    assert pdf.missing_glyphs(translations) == set()
    assert pdf.missing_glyphs("王建国 柜面取现 ¥1,234.56 ≤ ≥ ✓ → …") == set()


def test_what_the_font_cannot_draw_becomes_a_question_mark():
    assert pdf.missing_glyphs("ok 😀") == {"😀"}
    doc = pdf.Report(title="Emoji")
    doc.paragraph("好 😀")
    assert "好?" in text_of(doc.output())


def test_the_font_file_is_the_upstream_noto_sans_sc():
    assert pdf.font_sha256() == pdf.FONT_SHA256


def test_long_tables_run_over_pages_with_their_header():
    doc = pdf.Report(title="长表格")
    doc.table(["序号", "内容"], [[i, f"第 {i} 行"] for i in range(200)])
    content = doc.output()
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) > 3
    assert all("序号" in _clean(p.extract_text()) for p in reader.pages)  # repeated on each page
    assert "第199行" in text_of(content)


def test_pdf_response_is_inline_and_not_cached():
    response = pdf.pdf_response(b"%PDF-1.4", "CBS 2027/报告.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="CBS-2027---.pdf"'
    assert response["Cache-Control"] == "private, no-store"


# ---------------------------------------------------------------- the reports

pytestmark_db = pytest.mark.django_db


@pytest.mark.django_db
def test_exit_report_pdf_in_chinese(client, project, users, outsider):
    from tests.defects.factories import case, cycle, finding

    c = case(project, users["tester"], title="开户 · 正常流程")
    cy = cycle(project, users["tester"], name="系统集成测试第一轮")
    from defects import services

    services.result_record(actor=users["tester"], result=cy.results.get(case=c), status="failed", note="金额不符")
    finding(project, users["tester"], severity="critical")
    url = reverse("defects:exit_report_pdf", args=[project.pk, cy.pk])
    client.force_login(users["business"])
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = text_of(response.content)
    assert "系统集成测试第一轮" in text and "开户·正常流程" in text and "金额不符" in text
    assert "测试经理" in text and "范围" in text  # the labels are in the reader's language
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


@pytest.mark.django_db
def test_exit_report_page_full_and_htmx(client, project, users):
    from tests.defects.factories import case, cycle

    case(project, users["tester"])
    cy = cycle(project, users["tester"], name="UAT 1")
    client.force_login(users["business"])  # any member of the team (branch staff have no testing area)
    url = reverse("defects:exit_report", args=[project.pk, cy.pk])
    page = client.get(url)
    assert page.status_code == 200 and b"Test-cycle exit report" in page.content and b"Sign-off" in page.content
    assert htmx(client, url).status_code == 200


@pytest.mark.django_db
def test_gonogo_record_pdf(client, project, users, monkeypatch):
    from readiness import services as gonogo
    from tests.readiness.helpers import empty_registry, fixed

    empty_registry(monkeypatch)
    fixed("critical_defects", value=2, passed=False, display="2 open")
    decision = gonogo.gonogo_open(actor=users["manager"], project=project, title="第一次上线决策会",
                                  required_roles=["manager", "business"])
    gonogo.gonogo_sign(decision=decision, actor=users["business"], role="business", verdict="no_go",
                       comment="数据迁移未对账", password="correct-horse-battery")
    client.force_login(users["staff"])
    response = client.get(reverse("readiness:gonogo_report_pdf", args=[project.pk, decision.pk]),
                          HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = text_of(response.content)
    assert "第一次上线决策会" in text and "数据迁移未对账" in text and "2open" in text
    assert fonts_of(response.content) and all(fonts_of(response.content).values())


@pytest.mark.django_db
def test_lessons_report_pdf(client, project, users):
    from hypercare import services as hypercare

    hypercare.lesson_create(actor=users["ops"], project=project, kind="went_wrong", text="切换演练超时 40 分钟")
    hypercare.lesson_action_create(actor=users["manager"], project=project, title="下次预演前准备回退脚本",
                                   owner=users["ops"], due_date=timezone.localdate() + timedelta(days=7))
    client.force_login(users["trainer"])
    response = client.get(reverse("hypercare:lessons_report_pdf", args=[project.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    text = text_of(response.content)
    assert "切换演练超时40分钟" in text and "下次预演前准备回退脚本" in text
