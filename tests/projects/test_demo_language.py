"""The demo reads wholly in the language it is seeded in (`seed_demo --language`)."""

import re

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from projects import demo
from projects.models import Department, Membership, Milestone, Responsibility

pytestmark = pytest.mark.django_db

LATIN_WORD = re.compile(r"[A-Za-z]{5,}")  # short codes such as SIT, UAT, RACI may stay


@pytest.mark.parametrize("text, zh, en", [
    ("柜面业务操作 · Counter operations", "柜面业务操作", "Counter operations"),
    ("Daily cash limit per teller · 柜员日现金限额", "柜员日现金限额", "Daily cash limit per teller"),
    ("凭条改为电子签名，柜面无纸化。Slips are signed on the pad.", "凭条改为电子签名，柜面无纸化。",
     "Slips are signed on the pad."),
    ("SIT · build 2.3.1 · Chrome 120", "SIT · build 2.3.1 · Chrome 120", "SIT · build 2.3.1 · Chrome 120"),
    ("https://intranet.bank.example/faq", "https://intranet.bank.example/faq", "https://intranet.bank.example/faq"),
])
def test_bilingual_seed_strings_pick_the_active_language(text, zh, en):
    with translation.override("zh-hans"):
        assert demo.bilingual(text) == zh
    with translation.override("en"):
        assert demo.bilingual(text) == en


def test_the_core_seed_in_chinese_reads_chinese():
    with translation.override("zh-hans"):
        project, _people = demo.seed()
        assert project.name == "新一代核心银行系统上线"
        names = set(Department.objects.filter(project=project).values_list("name", flat=True))
        assert {"零售银行部", "信息科技部", "风险合规部"} <= names
        assert demo.departments_by_key(project)["Retail Banking"].name == "零售银行部"
    texts = (list(Milestone.objects.filter(project=project).values_list("name", flat=True))
             + list(Membership.objects.filter(project=project).values_list("job_title", flat=True))
             + list(Responsibility.objects.filter(project=project).values_list("area", flat=True)))
    english = [t for t in texts if LATIN_WORD.search(t)]
    assert texts and not english, english


def test_the_core_seed_in_english_reads_english():
    with translation.override("en"):
        project, _people = demo.seed()
    assert Department.objects.filter(project=project, name="Retail Banking").exists()
    assert Milestone.objects.filter(project=project, name="Go/no-go meeting").exists()
    assert not re.search(r"[\u4e00-\u9fff]", project.name)


def test_seed_demo_takes_a_language(settings):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="invalid choice"):  # refused before anything is loaded
        call_command("seed_demo", "--language", "fr")
    assert not Department.objects.exists()


def test_the_requirements_and_hypercare_seeds_in_chinese_read_chinese():
    from hypercare import demo as hypercare_demo
    from hypercare.models import Complaint, Feedback, Lesson, LessonAction
    from requirements import demo as requirements_demo
    from requirements.models import Requirement

    with translation.override("zh-hans"):
        project, people = demo.seed()
        requirements_demo.seed(project=project, people=people)
        hypercare_demo.seed(project=project, people=people)
    texts = (list(Requirement.objects.filter(project=project).values_list("title", flat=True))
             + list(Requirement.objects.filter(project=project).values_list("acceptance_criteria", flat=True))
             + list(Feedback.objects.filter(project=project).values_list("text", flat=True))
             + list(Complaint.objects.filter(project=project).values_list("description", flat=True))
             + list(Lesson.objects.filter(project=project).values_list("text", flat=True))
             + list(LessonAction.objects.filter(project=project).values_list("title", flat=True)))
    english = [t for t in texts if LATIN_WORD.search(t.replace("Excel", ""))]  # a product name may stay
    assert len(texts) > 250 and not english, english[:5]


def test_the_data_migration_plan_in_chinese_reads_chinese():
    from tasks import demo as tasks_demo
    from tasks.models import MigrationEntity

    with translation.override("zh-hans"):
        project, people = demo.seed()
        tasks_demo.seed(project=project, people=people)
    texts = [t for row in MigrationEntity.objects.filter(project=project).values_list(
        "name", "source", "target", "cleansing", "transformation", "deduplication") for t in row if t]
    # system codes (CUSTMAST, LNS) may stay; sentences and names may not
    english = [t for t in texts if LATIN_WORD.search(re.sub(r"\([A-Z]+\)", "", t))]
    assert len(texts) >= 20 and not english, english[:5]
    with translation.override("en"):
        assert [demo.bilingual(t) for t in tasks_demo.MIGRATION_PLAN[0][1:3]] == [
            "Legacy CIF (CUSTMAST)", "New core: party / customer"]
