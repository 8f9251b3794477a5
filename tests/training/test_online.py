"""Online modules: quizzes, completion by the learner, how courses count it, and who sees what."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from projects.errors import DomainError
from tests.projects.factories import member
from tests.utils import api_as, count_queries, htmx
from training import selectors, services
from training.models import Completion, Module, ModuleProgress, Question
from training.readiness_criteria import training_coverage

from .factories import make_course, make_session

pytestmark = pytest.mark.django_db

MODULES = "/api/v1/training/modules/"
RECORD = "/api/v1/training/my-record/"


@pytest.fixture
def online(project, users):
    trainer = users["trainer"]
    course = make_course(project, trainer, title="Teller app", completion=Completion.ONLINE)
    video = services.module_create(actor=trainer, course=course, title="Watch", kind="video",
                                   url="/media/videos/teller.mp4", minutes=12)
    manual = services.module_create(actor=trainer, course=course, title="Read and test", kind="manual",
                                    url="https://intranet.bank.example/manual.pdf", minutes=20, pass_mark=60)
    q1 = services.question_add(actor=trainer, module=manual, text="Who approves a refund?",
                               choices=["The teller", "The branch manager", "Nobody"], correct=1)
    q2 = services.question_add(actor=trainer, module=manual, text="Daily cash limit?",
                               choices=["10,000", "50,000"], correct=0)
    return {"course": course, "video": video, "manual": manual, "questions": [q1, q2], "trainer": trainer}


def _finish(user, online):
    services.module_complete(user=user, module=online["video"])
    services.quiz_submit(user=user, module=online["manual"], answers=[1, 0])
    services.module_complete(user=user, module=online["manual"])


# ------------------------------------------------------------------ services

def test_quiz_scores_and_keeps_best(project, users, online):
    staff = users["staff"]
    assert services.quiz_submit(user=staff, module=online["manual"], answers=[0, 0]) == {"score": 50, "passed": False}
    assert services.quiz_submit(user=staff, module=online["manual"], answers=[1, 0]) == {"score": 100, "passed": True}
    assert services.quiz_submit(user=staff, module=online["manual"], answers=[0, 1]) == {"score": 0, "passed": False}
    progress = ModuleProgress.objects.get(user=staff, module=online["manual"])
    assert (progress.quiz_attempts, progress.quiz_score) == (3, 100)
    assert progress.quiz_passed_at is not None and progress.completed_at is None


@pytest.mark.parametrize("answers", [[1], [1, 0, 0], [1, 2], [-1, 0], [1, True]])
def test_bad_answers_save_nothing(project, users, online, answers):
    with pytest.raises(DomainError) as exc:
        services.quiz_submit(user=users["staff"], module=online["manual"], answers=answers)
    assert exc.value.field == "answers"
    assert not ModuleProgress.objects.filter(user=users["staff"]).exists()


def test_complete_refused_until_quiz_passed(project, users, online):
    staff = users["staff"]
    with pytest.raises(DomainError, match="Pass the quiz first: 60%"):
        services.module_complete(user=staff, module=online["manual"])
    assert not ModuleProgress.objects.filter(user=staff).exists()  # refused: nothing saved
    services.quiz_submit(user=staff, module=online["manual"], answers=[1, 1])  # 50 % < 60 %
    with pytest.raises(DomainError):
        services.module_complete(user=staff, module=online["manual"])
    services.quiz_submit(user=staff, module=online["manual"], answers=[1, 0])
    assert services.module_complete(user=staff, module=online["manual"]).completed_at is not None


def test_module_bad_input(project, users, online):
    trainer = users["trainer"]
    course = online["course"]
    cases = [({"pass_mark": 120}, "pass_mark"), ({"minutes": 0}, "minutes"), ({"kind": "podcast"}, "kind"),
             ({"url": "javascript:alert(1)"}, "url"), ({"title": " "}, "title"), ({"url": ""}, "url")]
    for override, field in cases:
        kwargs = {"title": "M", "kind": "link", "url": "https://x.example/", "minutes": 5, **override}
        with pytest.raises(DomainError) as exc:
            services.module_create(actor=trainer, course=course, **kwargs)
        assert exc.value.field == field, override
    fake = SimpleUploadedFile("intro.mp4", b"<html>not a video</html>")
    with pytest.raises(DomainError, match="not a MP4 file"):
        services.module_create(actor=trainer, course=course, title="V", kind="video", file=fake)
    assert course.modules.count() == 2


def test_question_bad_input(project, users, online):
    module, trainer = online["manual"], users["trainer"]
    for kwargs, field in [({"choices": ["only one"], "correct": 0}, "choices"),
                          ({"choices": ["a", "b"], "correct": 2}, "correct"),
                          ({"choices": ["a", "a"], "correct": 0}, "choices"),
                          ({"choices": ["a", ""], "correct": 0}, "choices")]:
        with pytest.raises(DomainError) as exc:
            services.question_add(actor=trainer, module=module, text="Q?", **kwargs)
        assert exc.value.field == field
    assert module.questions.count() == 2


def test_non_member_cannot_take_a_module(project, users, online, outsider):
    with pytest.raises(DomainError):
        services.module_complete(user=outsider, module=online["video"])
    assert not ModuleProgress.objects.exists()


# ------------------------------------------------------------------ how a course counts it

def test_online_completion_counts_in_coverage_and_readiness(project, users, online):
    staff = users["staff"]
    assert selectors.coverage_counts(project=project) == (1, 0)
    services.module_complete(user=staff, module=online["video"])
    assert selectors.coverage_counts(project=project) == (1, 0)  # one module of two
    _finish(staff, online)
    assert selectors.coverage_counts(project=project) == (1, 1)
    assert training_coverage(project, 95).passed
    report = selectors.coverage_report(project=project)
    assert [c.title for c in report["people"][0]["online"]] == ["Teller app"]


def test_completion_mode_decides(project, users, online):
    staff, trainer = users["staff"], users["trainer"]
    _finish(staff, online)
    services.course_update(actor=trainer, course=online["course"], completion=Completion.OFFLINE)
    assert selectors.coverage_counts(project=project) == (1, 0)  # offline only: the modules do not count
    services.course_update(actor=trainer, course=online["course"], completion=Completion.EITHER)
    assert selectors.coverage_counts(project=project) == (1, 1)
    with pytest.raises(DomainError):
        services.course_update(actor=trainer, course=online["course"], completion="sometimes")


def test_my_record(project, users, online):
    staff, trainer = users["staff"], users["trainer"]
    classroom = make_course(project, trainer, title="Branch counter")
    make_session(classroom, trainer)
    services.enrolment_enrol(actor=staff, session=classroom.sessions.get())
    optional = make_course(project, trainer, title="Optional extra", required_roles=())
    record = {r["course"].title: (r["status"], r["via"]) for r in selectors.my_record(project=project, user=staff)}
    assert record == {"Teller app": ("not_started", None), "Branch counter": ("in_progress", None),
                      "Optional extra": ("not_started", None)}
    _finish(staff, online)
    response = api_as(staff).get(RECORD, {"project": project.pk})
    assert response.status_code == 200
    by_title = {c["title"]: c for c in response.json()["courses"]}
    assert by_title["Teller app"]["status"] == "completed" and by_title["Teller app"]["via"] == "online"
    assert by_title[optional.title]["via"] is None


def test_my_record_access(project, users, outsider):
    assert api_as().get(RECORD, {"project": project.pk}).status_code == 401
    assert api_as(outsider).get(RECORD, {"project": project.pk}).status_code == 404
    assert api_as(users["staff"]).get(RECORD).status_code == 400


# ------------------------------------------------------------------ API

def test_api_matrix(project, users, outsider, online):
    url = f"{MODULES}{online['video'].pk}/"
    assert api_as().get(MODULES).status_code == 401
    for role, user in users.items():
        assert api_as(user).get(MODULES, {"project": project.pk}).json()["count"] == Module.objects.count(), role
        assert api_as(user).get(url).status_code == 200
        response = api_as(user).post(MODULES, {"course": online["course"].pk, "title": f"By {role}", "kind": "link",
                                               "url": "https://x.example/", "minutes": 5}, format="json")
        assert response.status_code == (201 if role in ("manager", "trainer") else 403), (role, response.json())
    assert api_as(outsider).get(MODULES, {"project": project.pk}).status_code == 404
    assert api_as(outsider).get(url).status_code == 404
    assert api_as(outsider).post(f"{url}complete/").status_code == 404
    assert api_as(outsider).post(MODULES, {"course": online["course"].pk, "title": "X", "kind": "link",
                                           "url": "https://x.example/"}, format="json").status_code == 404


def test_api_learner_never_sees_correct(project, users, online):
    url = f"{MODULES}{online['manual'].pk}/questions/"
    learner = api_as(users["staff"]).get(url).json()
    assert [q["text"] for q in learner] == ["Who approves a refund?", "Daily cash limit?"]
    assert all("correct" not in q for q in learner)
    assert "correct" not in str(api_as(users["staff"]).get(f"{MODULES}{online['manual'].pk}/").json())
    assert [q["correct"] for q in api_as(users["trainer"]).get(url).json()] == [1, 0]
    assert api_as(users["staff"]).post(url, {"text": "Q", "choices": ["a", "b"], "correct": 0},
                                       format="json").status_code == 403
    # the quiz answer tells the score, never which choice was right
    response = api_as(users["staff"]).post(f"{MODULES}{online['manual'].pk}/quiz/", {"answers": [0, 0]},
                                           format="json")
    assert response.json() == {"score": 50, "passed": False}


def test_api_take_a_course(project, users, online):
    client = api_as(users["staff"])
    manual = f"{MODULES}{online['manual'].pk}/"
    response = client.post(f"{manual}complete/")
    assert response.status_code == 400 and "Pass the quiz first" in response.json()["detail"]
    assert client.post(f"{manual}quiz/", {"answers": [1]}, format="json").status_code == 400
    assert client.post(f"{manual}quiz/", {"answers": [1, 7]}, format="json").status_code == 400
    assert client.post(f"{manual}quiz/", {"answers": ["x", 0]}, format="json").status_code == 400
    assert not ModuleProgress.objects.exists()
    assert client.post(f"{manual}quiz/", {"answers": [1, 0]}, format="json").json() == {"score": 100, "passed": True}
    assert client.post(f"{manual}complete/").json()["course_completed"] is False
    done = client.post(f"{MODULES}{online['video'].pk}/complete/").json()
    assert done["course_completed"] is True


def test_api_bad_module_input(project, users, online):
    client = api_as(users["trainer"])
    base = {"course": online["course"].pk, "title": "X", "kind": "link", "url": "https://x.example/"}
    for override, field in [({"pass_mark": 120}, "pass_mark"), ({"kind": "tape"}, "kind"),
                            ({"course": "abc"}, None), ({"title": "x" * 201}, "title")]:
        response = client.post(MODULES, {**base, **override}, format="json")
        assert response.status_code in (400, 404), override
        if field:
            assert field in response.json(), response.json()
    assert Module.objects.count() == 2
    response = client.post(f"{MODULES}{online['manual'].pk}/questions/", {"text": "Q", "choices": ["a", "b"],
                                                                         "correct": 5}, format="json")
    assert response.status_code == 400 and "correct" in response.json()
    assert Question.objects.count() == 2


def test_api_upload_manual_and_serve_to_members_only(client, project, users, outsider, online):
    pdf = SimpleUploadedFile("guide.pdf", b"%PDF-1.4 manual", content_type="application/pdf")
    response = api_as(users["trainer"]).post(MODULES, {"course": online["course"].pk, "title": "Guide",
                                                       "kind": "manual", "file": pdf, "minutes": 5},
                                             format="multipart")
    assert response.status_code == 201, response.json()
    file_url = response.json()["file_url"]
    assert file_url == reverse("training:module_file", args=[project.pk, response.json()["id"]])
    client.force_login(users["staff"])
    got = client.get(file_url)
    assert got.status_code == 200 and b"".join(got.streaming_content).startswith(b"%PDF")
    client.force_login(outsider)
    assert client.get(file_url).status_code == 404
    big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * 100, content_type="application/pdf")
    from django.test import override_settings

    with override_settings(UPLOAD_MAX_BYTES=50):
        response = api_as(users["trainer"]).post(MODULES, {"course": online["course"].pk, "title": "Big",
                                                           "kind": "manual", "file": big}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()


def test_api_list_query_count_constant(project, users, online):
    client = api_as(users["staff"])
    _, few = count_queries(lambda: client.get(MODULES, {"project": project.pk}))
    for k in range(50):
        services.module_create(actor=users["trainer"], course=online["course"], title=f"M{k}", kind="link",
                               url="https://x.example/", minutes=1)
    response, many = count_queries(lambda: client.get(MODULES, {"project": project.pk, "page_size": 100}))
    assert response.json()["count"] == 52 and few == many


# ------------------------------------------------------------------ pages

def test_module_page_learner_flow(client, project, users, online):
    client.force_login(users["staff"])
    base = [project.pk, online["course"].pk, online["manual"].pk]
    page = client.get(reverse("training:module", args=base))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Who approves a refund?" in body and "✓ The branch manager" not in body
    assert ModuleProgress.objects.filter(user=users["staff"], module=online["manual"]).exists()  # opened
    q1, q2 = online["questions"]
    response = client.post(reverse("training:module_quiz", args=base), {f"q{q1.pk}": "0", f"q{q2.pk}": "0"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Your score: 50%" in response.content.decode()
    assert "<html" not in response.content.decode()
    response = client.post(reverse("training:module_quiz", args=base), {f"q{q1.pk}": "1"})
    assert response.status_code == 400
    client.post(reverse("training:module_quiz", args=base), {f"q{q1.pk}": "1", f"q{q2.pk}": "0"})
    response = client.post(reverse("training:module_complete", args=base))
    assert response.status_code == 302
    mine = client.get(reverse("training:mine", args=[project.pk])).content.decode()
    assert "1 of 2 modules" in mine


def test_module_page_author_sees_answers(client, project, users, online):
    client.force_login(users["trainer"])
    base = [project.pk, online["course"].pk, online["manual"].pk]
    assert "✓ The branch manager" in client.get(reverse("training:module", args=base)).content.decode()
    response = client.post(reverse("training:question_add", args=base),
                           {"text": "New?", "choices": "yes\nno", "correct": "2"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "✓ no" in response.content.decode()
    response = client.post(reverse("training:question_add", args=base), {"text": "Bad", "choices": "yes\nno",
                                                                         "correct": "3"})
    assert response.status_code == 400 and online["manual"].questions.count() == 3


def test_module_pages_matrix(client, project, users, outsider, online):
    base = [project.pk, online["course"].pk, online["video"].pk]
    url = reverse("training:module", args=base)
    assert client.get(url).status_code == 302
    for role, user in users.items():
        client.force_login(user)
        assert client.get(url).status_code == 200
        expected = 200 if role in ("manager", "trainer") else 403
        response = client.post(reverse("training:question_add", args=base), {"text": "Q", "choices": "a\nb",
                                                                             "correct": "1"})
        assert response.status_code == expected, role
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.post(reverse("training:module_complete", args=base)).status_code == 404
    other_course = make_course(project, users["trainer"], title="Other")
    client.force_login(users["staff"])
    assert client.get(reverse("training:module", args=[project.pk, other_course.pk, online["video"].pk])) \
        .status_code == 404


def test_course_page_lists_modules_and_adds_one(client, project, users, online):
    client.force_login(users["trainer"])
    url = reverse("training:course", args=[project.pk, online["course"].pk])
    assert "Read and test" in client.get(url).content.decode()
    response = client.post(reverse("training:module_add", args=[project.pk, online["course"].pk]),
                           {"title": "Link", "kind": "link", "url": "https://x.example/", "minutes": "3"})
    assert response.status_code == 302 and online["course"].modules.count() == 3


def test_mine_query_count_constant(client, project, users, online):
    client.force_login(users["staff"])
    url = reverse("training:mine", args=[project.pk])
    _, few = count_queries(lambda: client.get(url))
    for k in range(50):
        m = services.module_create(actor=users["trainer"], course=online["course"], title=f"M{k}", kind="link",
                                   url="https://x.example/", minutes=1)
        services.module_complete(user=users["staff"], module=m)
    response, many = count_queries(lambda: client.get(url))
    assert "50 of 52 modules" in response.content.decode() and few == many


def test_mine_partial_is_not_needed_but_catalogue_partial_still_works(client, project, users, online):
    client.force_login(users["staff"])
    response = htmx(client, reverse("training:catalogue", args=[project.pk]))
    assert response.status_code == 200 and "<html" not in response.content.decode()


# ------------------------------------------------------------------ reminder

def test_reminder_a_week_before_go_live(project, users, online):
    from training.reminders import online_not_started

    now = timezone.now()
    project.go_live_at = now + timedelta(days=10)
    project.save(update_fields=["go_live_at"])
    assert list(online_not_started(now=now)) == []
    project.go_live_at = now + timedelta(days=6)
    project.save(update_fields=["go_live_at"])
    reminders = list(online_not_started(now=now))
    assert [r.recipient for r in reminders] == [users["staff"]]
    assert "Teller app" in str(reminders[0].message)
    for module in (online["video"], online["manual"]):
        services.module_open(user=users["staff"], module=module)
    assert list(online_not_started(now=now)) == []
    other = member(project, "staff")
    assert [r.recipient for r in online_not_started(now=now)] == [other]


def test_coverage_exports_count_online_and_neutralise_formulas(client, project, users, online):
    import io

    from openpyxl import load_workbook

    services.course_update(actor=users["trainer"], course=online["course"], title="=HYPERLINK(\"x\")")
    _finish(users["staff"], online)
    client.force_login(users["manager"])
    body = client.get(reverse("training:coverage_export", args=[project.pk, "csv"])).content.decode("utf-8-sig")
    header, row = body.splitlines()[:2]
    assert "Completed online" in header
    assert "'=HYPERLINK" in row and ",yes" in row
    data = client.get(reverse("training:coverage_export", args=[project.pk, "xlsx"])).content
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert sheet.cell(row=2, column=7).value.startswith("'=")


def test_work_items_drop_a_course_completed_online(project, users, online):
    items = selectors.work_items(project=project, user=users["staff"])
    assert [(i["kind"], i["id"]) for i in items] == [("course_to_take", online["course"].pk)]
    assert items[0]["due_at"] == project.go_live_at
    _finish(users["staff"], online)
    assert selectors.work_items(project=project, user=users["staff"]) == []
    assert selectors.work_items(project=project, user=users["ops"]) == []  # nothing required of ops
