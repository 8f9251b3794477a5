"""Browser: on a rehearsal an ops engineer files an issue from a step of the live board (two clicks),
posts a status update, and both reach the war-room timeline, a second viewer's board (polling) and
the project's chat robots, correctly signed and once each (a local server checks the signatures).
Console errors (a CSP violation, a JavaScript error) fail the test."""

import pytest
from playwright.sync_api import expect

from notifications import robots as robot_delivery
from notifications import services as notification_services
from tasks.models import CutoverIssue
from tests.notifications.robot_server import RobotServer
from tests.tasks.factories import chain, run, runbook
from tests.utils import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_ops_files_an_issue_from_a_step_and_posts_an_update(page, browser, live_server, project, users, settings):
    settings.CELERY_BROKER_URL = "memory://"  # no broker: the chat messages wait in the outbox; the test sends them
    rb = runbook(project, users["ops"])
    steps = chain(rb, users["ops"], 3, owner=users["developer"])
    rehearsal = run(rb, users["ops"])
    board_url = f"{live_server.url}/projects/{project.pk}/cutover/runs/{rehearsal.pk}/"
    with RobotServer() as robots:
        dingtalk = notification_services.channel_create(
            actor=users["manager"], project=project, name="Ops group", kind="dingtalk", url=robots.dingtalk_url,
            secret="SECding")
        feishu = notification_services.channel_create(
            actor=users["manager"], project=project, name="Vendor bridge", kind="feishu", url=robots.feishu_url,
            secret="feishu-secret", events=["cutover_update"])

        viewer_context = browser.new_context()
        viewer = viewer_context.new_page()
        viewer_errors = []
        viewer.on("console", lambda msg: msg.type == "error" and viewer_errors.append(msg.text))
        login(viewer, live_server, users["tester"].username)
        viewer.goto(board_url)

        login(page, live_server, users["ops"].username)
        page.goto(board_url)
        # Click 1: the step's "Issue" button brings the form, prefilled from the step.
        row = page.locator("#board tbody tr", has_text=steps[0].title)
        row.locator("a.report-issue").click()
        form = page.locator("#issue-slot #issue-form")
        expect(form).to_be_visible()
        expect(form.locator("input[name=title]")).to_have_value(f"Problem with “{steps[0].title}”")
        form.locator("select[name=severity]").select_option("sev1")
        # Click 2: file it.
        form.locator("button[type=submit]").click()
        expect(page.locator("#issue-slot .issue-filed")).to_contain_text("reported")
        expect(page.locator("#board .sev1-flag")).to_contain_text(f"Problem with “{steps[0].title}”")
        issue = CutoverIssue.objects.get()
        assert issue.step.source_step_id == steps[0].pk and issue.opened_by == users["ops"]

        page.fill("#timeline textarea[name=text]", "Step 1 blocked by a sev1; DBA on the bridge. 一级问题处理中。")
        page.click("#timeline button[type=submit]")
        expect(page.locator("#timeline-feed li").first).to_contain_text("DBA on the bridge")
        expect(page.locator("#timeline-feed")).to_contain_text("Issue opened")
        expect(page.locator("#timeline textarea[name=text]")).to_have_value("")

        # The tester did nothing: their board and timeline catch up by polling.
        expect(viewer.locator("#board .sev1-flag")).to_be_visible(timeout=8000)
        expect(viewer.locator("#timeline-feed")).to_contain_text("DBA on the bridge", timeout=8000)

        # The chats: DingTalk hears of the issue and the update, Feishu (updates only) of the update; once each.
        for channel in (dingtalk, feishu):
            robot_delivery.deliver_channel(channel_id=channel.pk)
            robot_delivery.deliver_channel(channel_id=channel.pk)  # again: nothing twice
        ding, fei = robots.texts("dingtalk"), robots.texts("feishu")
        assert len(ding) == 2 and "new issue #1" in ding[0] and "DBA on the bridge" in ding[1]
        assert len(fei) == 1 and "DBA on the bridge" in fei[0]
        assert robots.rejected == []
        assert page.console_errors == [] and viewer_errors == []
        viewer_context.close()
