"""Alerts and escalation: step 1 at once, the next step after its wait without acknowledgement,
nothing after the acknowledgement; frozen time; two sweeping workers (PostgreSQL)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from notifications import services
from notifications.models import Alert, AlertEvent, AlertStatus, EscalationPolicy, Notification
from projects import services as project_services
from projects.errors import DomainError
from tests.projects.factories import member
from tests.utils import api_as, count_queries, requires_postgres, run_concurrently

pytestmark = pytest.mark.django_db

T0 = "2026-12-05 22:00:00+08:00"


@pytest.fixture(autouse=True)
def _tonight():
    """Every test runs on the same frozen cutover night (before the other fixtures build the rota)."""
    frozen = freeze_time(T0)
    frozen.start()
    yield frozen
    frozen.stop()


@pytest.fixture
def rota(project, users):
    """Tonight: the ops engineer is primary, the developer backup."""
    start = timezone.now() - timedelta(hours=1)
    end = start + timedelta(hours=12)
    for user, tier in ((users["ops"], "primary"), (users["developer"], "backup")):
        project_services.shift_create(actor=users["manager"], project=project, user=user, starts_at=start,
                                      ends_at=end, tier=tier)
    return {"primary": users["ops"], "backup": users["developer"]}


@pytest.fixture
def policy(project, users):
    return services.policy_create(actor=users["ops"], project=project, name="Core systems on call", steps=[
        {"wait_minutes": 10, "target": "on_call_primary"}, {"wait_minutes": 10, "target": "on_call_backup"},
        {"wait_minutes": 0, "target": "role:manager"}])


def _told(alert):
    return sorted(Notification.objects.filter(kind="alert", subject_id=alert.pk).values_list("recipient__username",
                                                                                              flat=True))


def test_unacknowledged_alert_escalates_to_the_backup_then_stops_when_acknowledged(project, users, rota, policy):
    alert, created = services.alert_trigger(actor=users["ops"], project=project, title="CPU 95% on core-db-01",
                                            severity="critical", source="Zabbix")
    assert created and alert.level == 1 and _told(alert) == [users["ops"].username]
    assert alert.next_escalation_at == timezone.now() + timedelta(minutes=10)
    with freeze_time(timezone.now() + timedelta(minutes=9, seconds=59)):
        assert services.alerts_escalate() == 0
    assert _told(alert) == [users["ops"].username]
    with freeze_time(timezone.now() + timedelta(minutes=10)):
        assert services.alerts_escalate() == 1
        assert services.alerts_escalate() == 0  # running the sweep again tells nobody twice
    alert.refresh_from_db()
    assert alert.level == 2 and sorted(_told(alert)) == sorted([users["ops"].username, users["developer"].username])
    with freeze_time(timezone.now() + timedelta(minutes=15)):
        services.alert_acknowledge(actor=users["developer"], alert=alert)
    with freeze_time(timezone.now() + timedelta(hours=2)):
        assert services.alerts_escalate() == 0
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED and alert.next_escalation_at is None
    assert users["manager"].username not in _told(alert)
    kinds = list(alert.events.values_list("kind", "step"))
    assert kinds == [("triggered", None), ("notified", 1), ("notified", 2), ("acknowledged", None)]


def test_last_step_calls_the_managers_and_then_nothing_is_left(project, users, rota, policy):
    alert, _created = services.alert_trigger(actor=users["ops"], project=project, title="Login failures",
                                             severity="critical", source="ELK")
    for minutes in (10, 20):
        with freeze_time(timezone.now() + timedelta(minutes=minutes)):
            services.alerts_escalate()
    alert.refresh_from_db()
    assert users["manager"].username in _told(alert) and alert.level == 3 and alert.exhausted


def test_a_step_that_finds_nobody_is_passed_at_once(project, users, policy):
    project_services.shift_create(actor=users["manager"], project=project, user=users["ops"],
                                  starts_at=timezone.now() - timedelta(hours=1),
                                  ends_at=timezone.now() + timedelta(hours=1))
    alert, _ = services.alert_trigger(actor=users["ops"], project=project, title="Disk full", source="Zabbix")
    with freeze_time(timezone.now() + timedelta(minutes=10)):
        services.alerts_escalate()
    alert.refresh_from_db()
    # No backup on the rota and no later shift: step 2 found nobody, the managers were called instead.
    assert alert.level == 3 and users["manager"].username in _told(alert)
    assert AlertEvent.objects.filter(alert=alert, kind="nobody", step=2).exists()


def test_backup_falls_back_to_the_next_primary_on_the_rota(project, users):
    now = timezone.now()
    project_services.shift_create(actor=users["manager"], project=project, user=users["ops"],
                                  starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1))
    project_services.shift_create(actor=users["manager"], project=project, user=users["tester"],
                                  starts_at=now + timedelta(hours=1), ends_at=now + timedelta(hours=13))
    from projects.selectors import on_call

    duty = on_call(project=project)
    assert duty.primary == users["ops"] and duty.backup == users["tester"]


def test_the_same_alert_again_is_the_same_alert(project, users, rota):
    first, created = services.alert_trigger(actor=users["ops"], project=project, title="CPU high", source="Zabbix")
    again, created_again = services.alert_trigger(actor=users["ops"], project=project, title="CPU high",
                                                  source="Zabbix")
    assert created and not created_again and again.pk == first.pk
    assert Notification.objects.filter(kind="alert").count() == 1
    services.alert_resolve(actor=users["ops"], alert=first)
    third, created_third = services.alert_trigger(actor=users["ops"], project=project, title="CPU high",
                                                  source="Zabbix")
    assert created_third and third.pk != first.pk


def test_without_a_policy_the_default_chain_is_used(project, users, rota):
    alert, _ = services.alert_trigger(actor=users["ops"], project=project, title="Queue backlog")
    assert [s["target"] for s in alert.steps] == ["on_call_primary", "on_call_backup", "role:manager"]


def test_acknowledging_twice_is_refused(project, users, rota):
    alert, _ = services.alert_trigger(actor=users["ops"], project=project, title="x")
    services.alert_acknowledge(actor=users["ops"], alert=alert)
    with pytest.raises(DomainError) as exc:
        services.alert_acknowledge(actor=users["developer"], alert=alert)
    assert "acknowledged already" in str(exc.value.message)


def test_editing_the_policy_does_not_change_an_alert_under_way(project, users, rota, policy):
    alert, _ = services.alert_trigger(actor=users["ops"], project=project, title="x", policy=policy)
    services.policy_update(actor=users["ops"], policy=policy, steps=[{"wait_minutes": 1, "target": "role:tester"}])
    alert.refresh_from_db()
    assert len(alert.steps) == 3 and alert.steps[0]["target"] == "on_call_primary"


@pytest.mark.parametrize("steps, message", [
    ([], "at least one step"),
    ([{"wait_minutes": -1, "target": "on_call_primary"}], "wait_minutes"),
    ([{"wait_minutes": 2000, "target": "on_call_primary"}], "wait_minutes"),
    ([{"wait_minutes": True, "target": "on_call_primary"}], "wait_minutes"),
    ([{"wait_minutes": 5, "target": "role:king"}], "is not a target"),
    ([{"wait_minutes": 5, "target": "user:999999"}], "not a member"),
    ([{"wait_minutes": 5}], "is not a target"),
    (["on_call_primary"], "must give"),
])
def test_bad_policies_are_refused(project, users, steps, message):
    with pytest.raises(DomainError) as exc:
        services.policy_create(actor=users["ops"], project=project, name="P", steps=steps)
    assert message in str(exc.value.message) and exc.value.field == "steps"
    assert not EscalationPolicy.objects.exists()


# --- API ----------------------------------------------------------------------------------------

ALERTS = "/api/v1/alerts/"
POLICIES = "/api/v1/escalation-policies/"


def test_monitoring_posts_with_an_ops_members_token(project, users, rota, _tonight):
    from rest_framework.test import APIClient

    _tonight.stop()  # DRF's throttle keeps `time.time` as a class attribute, which a frozen clock breaks
    token = APIClient().post("/api/v1/auth/token/", {"username": users["ops"].username,
                                                     "password": "correct-horse-battery"}).json()["token"]
    _tonight.start()
    zabbix = APIClient()
    zabbix.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = zabbix.post(ALERTS, {"project": project.pk, "title": "CPU 95% on core-db-01", "severity": "critical",
                                    "source": "Zabbix"}, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "triggered" and data["level"] == 1 and data["events"][1]["user"] == users["ops"].pk
    again = zabbix.post(ALERTS, {"project": project.pk, "title": "CPU 95% on core-db-01", "source": "Zabbix"},
                        format="json")
    assert again.status_code == 200 and again.json()["id"] == data["id"]


def test_alert_permission_matrix(project, users, outsider, rota):
    body = {"project": project.pk, "title": "Down", "severity": "warning"}
    assert api_as(None).post(ALERTS, body, format="json").status_code == 401
    for role in ("developer", "tester", "business", "trainer", "staff"):
        assert api_as(users[role]).post(ALERTS, body, format="json").status_code == 403
    assert api_as(outsider).post(ALERTS, body, format="json").status_code == 404
    assert not Alert.objects.exists()
    for role in ("ops", "manager"):
        assert api_as(users[role]).post(ALERTS, {**body, "title": role}, format="json").status_code == 201
    alert = Alert.objects.get(title="ops")
    assert api_as(users["staff"]).get(f"{ALERTS}{alert.pk}/").status_code == 200  # every member sees them
    assert api_as(outsider).get(f"{ALERTS}{alert.pk}/").status_code == 404
    assert api_as(users["staff"]).post(f"{ALERTS}{alert.pk}/ack/").status_code == 403
    assert api_as(users["developer"]).post(f"{ALERTS}{alert.pk}/ack/").status_code == 200
    assert api_as(users["developer"]).post(f"{ALERTS}{alert.pk}/ack/").status_code == 400  # already acknowledged
    assert api_as(users["ops"]).post(f"{ALERTS}{alert.pk}/resolve/", {"note": "killed the batch"},
                                     format="json").json()["status"] == "resolved"


def test_the_person_called_may_acknowledge_whatever_their_role(project, users):
    project_services.shift_create(actor=users["manager"], project=project, user=users["tester"],
                                  starts_at=timezone.now() - timedelta(hours=1),
                                  ends_at=timezone.now() + timedelta(hours=1))
    alert, _ = services.alert_trigger(actor=users["ops"], project=project, title="x")
    assert api_as(users["tester"]).post(f"{ALERTS}{alert.pk}/ack/").status_code == 200


@pytest.mark.parametrize("body, field", [
    ({"severity": "sev1"}, "severity"),
    ({"title": ""}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"project": "abc"}, "project"),
    ({"project": 10 ** 20}, "project"),
    ({"policy": 999999}, "policy"),
    ({"policy": "one"}, "policy"),
    ({"source": "s" * 121}, "source"),
])
def test_alert_bad_input_is_400_and_nothing_saved(project, users, body, field):
    response = api_as(users["ops"]).post(ALERTS, {"project": project.pk, "title": "Down", **body}, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Alert.objects.exists() and not Notification.objects.exists()


def test_alerts_support_only_their_methods(project, users, rota):
    alert, _ = services.alert_trigger(actor=users["ops"], project=project, title="x")
    client = api_as(users["manager"])
    assert client.put(f"{ALERTS}{alert.pk}/", {}, format="json").status_code == 405
    assert client.patch(f"{ALERTS}{alert.pk}/", {}, format="json").status_code == 405
    assert client.delete(f"{ALERTS}{alert.pk}/").status_code == 405


def test_alert_list_queries_do_not_grow(project, users, rota):
    client = api_as(users["ops"])
    services.alert_trigger(actor=users["ops"], project=project, title="a0")
    _, one = count_queries(lambda: client.get(ALERTS, {"project": project.pk}))
    for i in range(1, 40):
        services.alert_trigger(actor=users["ops"], project=project, title=f"a{i}")
    _, many = count_queries(lambda: client.get(ALERTS, {"project": project.pk}))
    assert one == many


def test_policy_api(project, users, outsider):
    body = {"project": project.pk, "name": "Nights", "steps": [
        {"wait_minutes": 5, "target": "on_call_primary"}, {"wait_minutes": 5, "target": f"user:{users['manager'].pk}"}]}
    assert api_as(users["tester"]).post(POLICIES, body, format="json").status_code == 403
    assert api_as(outsider).post(POLICIES, body, format="json").status_code == 404
    response = api_as(users["ops"]).post(POLICIES, body, format="json")
    assert response.status_code == 201 and response.json()["steps"] == body["steps"]
    pk = response.json()["id"]
    assert api_as(users["tester"]).get(f"{POLICIES}{pk}/").status_code == 403
    assert api_as(users["tester"]).get(POLICIES, {"project": project.pk}).status_code == 403
    bad = api_as(users["ops"]).patch(f"{POLICIES}{pk}/", {"steps": [{"wait_minutes": 99999, "target": "x"}]},
                                     format="json")
    assert bad.status_code == 400 and "steps" in bad.json()
    bad = api_as(users["ops"]).patch(f"{POLICIES}{pk}/", {"steps": [{"wait_minutes": 1, "target": "role:x"}]},
                                     format="json")
    assert bad.status_code == 400 and "not a target" in bad.json()["detail"]
    assert EscalationPolicy.objects.get(pk=pk).steps == body["steps"]
    assert api_as(users["manager"]).delete(f"{POLICIES}{pk}/").status_code == 204


# --- the beat job and two workers -------------------------------------------------------------------

def test_the_minute_job_escalates_and_sends_what_waits(project, users, rota, policy, queued):
    from notifications import tasks
    from notifications.models import Channel

    channel = Channel.objects.create(project=project, name="Room", kind="wecom", url="http://127.0.0.1:9/x")
    services.alert_trigger(actor=users["ops"], project=project, title="x", now=timezone.now() - timedelta(hours=1))
    assert tasks.escalate() == "1 alert(s) escalated"
    assert ("deliver_channel", [channel.pk]) in queued


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_call_the_backup_once():
    from tests.projects.factories import ProjectFactory

    project = ProjectFactory()
    manager, ops, dev = member(project, "manager"), member(project, "ops"), member(project, "developer")
    start = timezone.now() - timedelta(hours=1)
    project_services.shift_create(actor=manager, project=project, user=ops, starts_at=start,
                                  ends_at=start + timedelta(hours=4))
    project_services.shift_create(actor=manager, project=project, user=dev, starts_at=start,
                                  ends_at=start + timedelta(hours=4), tier="backup")
    alerts = [services.alert_trigger(actor=ops, project=project, title=f"a{i}", now=start)[0] for i in range(5)]
    results = run_concurrently(2, lambda i: services.alerts_escalate())
    assert sum(results) == 5  # each alert moved by exactly one of the two workers
    for alert in alerts:
        alert.refresh_from_db()
        assert alert.level == 2
        assert Notification.objects.filter(kind="alert", subject_id=alert.pk, recipient=dev).count() == 1
        assert AlertEvent.objects.filter(alert=alert, kind="notified", step=2).count() == 1
