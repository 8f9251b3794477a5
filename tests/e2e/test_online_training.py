"""On a phone: a branch staff member takes a course online (watch, read, pass the quiz) and the
coverage and readiness count it. A CSP violation or a JavaScript error fails the test."""

import pytest
from playwright.sync_api import expect

from tests.utils import login
from training import selectors, services
from training.models import Completion
from training.readiness_criteria import training_coverage

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    yield page
    context.close()


def test_staff_completes_a_course_online_on_a_phone(phone, live_server, project, users):
    trainer, staff = users["trainer"], users["staff"]
    course = services.course_create(actor=trainer, project=project, title="Teller app", required_roles=["staff"],
                                    completion=Completion.ONLINE)
    services.module_create(actor=trainer, course=course, title="Watch the tour", kind="link",
                           url="https://video.bank.example/tour", minutes=10)
    manual = services.module_create(actor=trainer, course=course, title="Read and answer", kind="link",
                                    url="https://intranet.bank.example/manual", minutes=15, pass_mark=100)
    services.question_add(actor=trainer, module=manual, text="Who approves a refund?",
                          choices=["The teller", "The branch manager"], correct=1)
    assert not training_coverage(project, 95).passed

    login(phone, live_server, staff.username)
    phone.goto(f"{live_server.url}/projects/{project.pk}/training/mine/")
    expect(phone.locator("#online-progress")).to_contain_text("0 of 2 modules")
    phone.click("text=Watch the tour")
    phone.click("#learner button.primary")
    expect(phone.locator("#learner")).to_contain_text("Completed on")  # swapped in place by htmx
    phone.click("#learner >> text=Back to my training")
    expect(phone.locator("#online-progress")).to_contain_text("1 of 2 modules")
    phone.click("text=Read and answer")
    expect(phone.locator("#learner button.primary")).to_be_disabled()
    phone.check("#learner input[type=radio][value='0']")
    phone.click("#learner .quiz button[type=submit]")
    expect(phone.locator("#learner")).to_contain_text("Your score: 0%")
    phone.check("#learner input[type=radio][value='1']")
    phone.click("#learner .quiz button[type=submit]")
    expect(phone.locator("#learner")).to_contain_text("Quiz passed")
    phone.click("#learner button.primary")
    expect(phone.locator("#learner")).to_contain_text("Completed on")
    assert phone.console_errors == []

    assert selectors.coverage_counts(project=project) == (1, 1)
    assert training_coverage(project, 95).passed
