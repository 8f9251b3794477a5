"""The Django admin of the command centre: every new model's list and change page open for a
superuser, transitions and the timeline are view-only, and no secret is ever shown."""

import pytest
from django.urls import reverse

from notifications import services as notification_services
from projects import services as project_services
from tasks import services
from tests.projects.factories import UserFactory
from tests.tasks.factories import chain, run, run_step, runbook

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_command_centre_admin_pages(admin_client, project, users):
    rb = runbook(project, users["ops"])
    steps = chain(rb, users["ops"], 2)
    r = run(rb, users["ops"])
    issue = services.issue_file(actor=users["ops"], run=r, title="CPU", severity="sev2", step=run_step(r, steps[0]))
    event = issue.events.first()
    scenario = services.scenario_create(actor=users["ops"], project=project, trigger="DB down", response="fail over")
    channel = notification_services.channel_create(actor=users["manager"], project=project, name="Ops",
                                                   kind="dingtalk", url="https://oapi.dingtalk.com/robot/send?x=1",
                                                   secret="SECsupersecret")
    notification_services.broadcast(project=project, kind="cutover_update", message="hi", dedupe_key="a")
    policy = notification_services.policy_create(actor=users["ops"], project=project, name="P",
                                                  steps=[{"wait_minutes": 1, "target": "role:ops"}])
    alert, _ = notification_services.alert_trigger(actor=users["ops"], project=project, title="x", policy=policy)
    token = project_services.feed_token_for(user=users["ops"])
    for model, obj in (("tasks_cutoverissue", issue), ("tasks_timelineevent", event),
                       ("tasks_contingencyscenario", scenario), ("notifications_channel", channel),
                       ("notifications_channelmessage", channel.messages.first()),
                       ("notifications_escalationpolicy", policy), ("notifications_alert", alert),
                       ("projects_feedtoken", token)):
        assert admin_client.get(reverse(f"admin:{model}_changelist")).status_code == 200, model
        page = admin_client.get(reverse(f"admin:{model}_change", args=[obj.pk]))
        assert page.status_code == 200, model
        assert "SECsupersecret" not in page.content.decode() and token.token not in page.content.decode()
    assert admin_client.get(reverse("admin:notifications_alert_add")).status_code == 403
    assert admin_client.get(reverse("admin:tasks_timelineevent_add")).status_code == 403
