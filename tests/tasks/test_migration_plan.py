"""The data-migration plan: entities (source, target, cleansing/transformation/de-dup rules), per-rehearsal
duplicates removed and rejected rows on the reconciliation checks, the restore test, the readiness
criterion `migration_restore_tested`, the page (full and partial), the API and its permissions."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from projects.errors import DomainError
from tasks import selectors, services
from tasks.models import MigrationEntity
from tasks.readiness_criteria import migration_restore_tested
from tests.tasks.factories import chain, play, run, runbook
from tests.utils import api_as, count_queries, htmx

pytestmark = pytest.mark.django_db


def entity(project, actor, name="customers", **kw):
    return services.entity_create(actor=actor, project=project, name=name, source=kw.pop("source", "CUSTMAST"),
                                  target=kw.pop("target", "party"), **kw)


def rehearsal(project, users, days_ago=3):
    rb = runbook(project, users["ops"], name=f"Cutover {days_ago}")
    chain(rb, users["ops"], 1, minutes=10)
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(days=days_ago)
    return play(run(rb, users["ops"], planned_start=start), users["ops"])


def test_entity_create_and_bad_input(project, users, outsider):
    e = entity(project, users["ops"], cleansing="Trim names 去空格", deduplication="ID + name", owner=users["ops"])
    assert (e.name, e.owner, e.cleansing) == ("customers", users["ops"], "Trim names 去空格")
    for bad in ({"name": " "}, {"source": ""}, {"target": "x" * 301}, {"name": "customers"},
                {"name": "loans", "owner": outsider}):
        with pytest.raises(DomainError):
            entity(project, users["ops"], **({"name": "accounts"} | bad))
    with pytest.raises(PermissionDenied):
        entity(project, users["tester"], name="loans")
    assert MigrationEntity.objects.count() == 1
    services.entity_update(actor=users["ops"], entity=e, transformation="Map types")
    assert MigrationEntity.objects.get().transformation == "Map types"


def test_dedup_and_rejected_counts_and_restore_test(project, users):
    r = rehearsal(project, users)
    check = services.check_create(actor=users["ops"], run=r, entity="customers", source_count=10, target_count=10,
                                  duplicates_removed=3, rejected_rows=1)
    assert (check.duplicates_removed, check.rejected_rows, check.status) == (3, 1, "match")
    with pytest.raises(DomainError):
        services.check_create(actor=users["ops"], run=r, entity="accounts", source_count=1, target_count=1,
                              rejected_rows=-1)
    with pytest.raises(DomainError):  # no backup confirmed yet
        services.check_confirm_restore(actor=users["ops"], check=check)
    services.check_confirm_backup(actor=users["ops"], check=check)
    services.check_confirm_restore(actor=users["ops"], check=check)
    check.refresh_from_db()
    assert check.restore_tested_by == users["ops"] and check.restore_tested_at
    with pytest.raises(DomainError):
        services.check_confirm_restore(actor=users["ops"], check=check)


def test_criterion_needs_a_reconciled_last_rehearsal_with_restores_tested(project, users):
    assert not migration_restore_tested(project, 0).passed  # no rehearsal
    r = rehearsal(project, users)
    assert not migration_restore_tested(project, 0).passed  # no checks
    a = services.check_create(actor=users["ops"], run=r, entity="customers", source_count=5, target_count=5)
    b = services.check_create(actor=users["ops"], run=r, entity="accounts", source_count=5, target_count=4)
    result = migration_restore_tested(project, 0)
    assert (result.value, result.passed) == (2, False)
    for c in (a, b):
        services.check_confirm_backup(actor=users["ops"], check=c)
        services.check_confirm_restore(actor=users["ops"], check=c)
    assert migration_restore_tested(project, 0).value == 1  # b does not reconcile
    services.check_update(actor=users["ops"], check=b, target_count=5)
    assert migration_restore_tested(project, 0).passed


def test_plan_selector_lists_the_last_rehearsals(project, users):
    entity(project, users["ops"], name="customers")
    entity(project, users["ops"], name="loans", order=1)
    r1, r2 = rehearsal(project, users, days_ago=9), rehearsal(project, users, days_ago=2)
    services.check_create(actor=users["ops"], run=r1, entity="customers", source_count=1, target_count=1)
    services.check_create(actor=users["ops"], run=r2, entity="balances", source_count=1, target_count=1)
    plan = selectors.migration_plan(project=project)
    assert [r.pk for r in plan["runs"]] == [r1.pk, r2.pk]
    assert [row["entity"].name for row in plan["entities"]] == ["customers", "loans"]
    assert [bool(c) for c in plan["entities"][0]["cells"]] == [True, False]
    assert plan["unplanned"] == ["balances"]


def test_page_permissions_full_and_partial(client, project, users, outsider):
    entity(project, users["ops"])
    url = reverse("tasks:migration_plan", args=[project.pk])
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(users["tester"])
    page = client.get(url).content.decode()
    assert "customers" in page and 'name="source"' not in page
    assert client.post(url, {"name": "loans", "source": "LNS", "target": "loan"}).status_code == 403
    client.force_login(users["ops"])
    assert client.post(url, {"name": "", "source": "LNS", "target": "loan"}).status_code == 400
    assert client.post(url, {"name": "loans", "source": "LNS", "target": "loan"}).status_code == 302
    part = htmx(client, url).content.decode()
    assert "<html" not in part and 'id="migration-plan"' in part and "loans" in part


def test_restore_button(client, project, users):
    r = rehearsal(project, users)
    check = services.check_create(actor=users["ops"], run=r, entity="customers", source_count=1, target_count=1)
    services.check_confirm_backup(actor=users["ops"], check=check)
    client.force_login(users["tester"])
    url = reverse("tasks:check_restore", args=[project.pk, r.pk, check.pk])
    assert client.post(url).status_code == 403
    client.force_login(users["ops"])
    assert client.post(url, {"next": reverse("tasks:migration_plan", args=[project.pk])}).status_code == 302
    check.refresh_from_db()
    assert check.restore_tested_at is not None


def test_page_query_count_is_constant(client, project, users):
    client.force_login(users["ops"])
    url = reverse("tasks:migration_plan", args=[project.pk])
    r = rehearsal(project, users)
    entity(project, users["ops"], name="e0")
    services.check_create(actor=users["ops"], run=r, entity="e0", source_count=1, target_count=1)
    _, one = count_queries(lambda: client.get(url))
    for i in range(1, 50):
        entity(project, users["ops"], name=f"e{i}", owner=users["ops"])
        services.check_create(actor=users["ops"], run=r, entity=f"e{i}", source_count=1, target_count=1)
    _, fifty = count_queries(lambda: client.get(url))
    assert one == fifty


def test_api(project, users, outsider):
    ops = api_as(users["ops"])
    r = ops.post("/api/v1/migration-entities/", {"project": project.pk, "name": "customers", "source": "CIF",
                                                  "target": "party", "deduplication": "ID + name"}, format="json")
    assert r.status_code == 201, r.json()
    eid = r.json()["id"]
    assert api_as(users["tester"]).post("/api/v1/migration-entities/", {"project": project.pk, "name": "x",
                                        "source": "a", "target": "b"}, format="json").status_code == 403
    assert api_as(outsider).get(f"/api/v1/migration-entities/{eid}/").status_code == 404
    assert ops.post("/api/v1/migration-entities/", {"project": project.pk, "name": "customers", "source": "a",
                                                    "target": "b"}, format="json").status_code == 400
    assert ops.post("/api/v1/migration-entities/", {"project": project.pk, "name": "y", "source": "a",
                                                    "target": "b", "owner": "x"}, format="json").status_code == 400
    assert ops.patch(f"/api/v1/migration-entities/{eid}/", {"target": "party v2"}, format="json").json()[
        "target"] == "party v2"
    assert api_as(users["staff"]).get(f"/api/v1/migration-entities/?project={project.pk}").json()["count"] == 1
    run_ = rehearsal(project, users)
    c = ops.post("/api/v1/migration-checks/", {"project": project.pk, "run": run_.pk, "entity": "customers",
                                                "source_count": 5, "target_count": 5, "duplicates_removed": 2,
                                                "rejected_rows": 1}, format="json")
    assert c.status_code == 201 and c.json()["duplicates_removed"] == 2 and c.json()["rejected_rows"] == 1
    cid = c.json()["id"]
    assert ops.post(f"/api/v1/migration-checks/{cid}/confirm-restore/").status_code == 400  # no backup yet
    ops.post(f"/api/v1/migration-checks/{cid}/confirm-backup/")
    done = ops.post(f"/api/v1/migration-checks/{cid}/confirm-restore/")
    assert done.status_code == 200 and done.json()["restore_tested_by"] == users["ops"].pk
    assert ops.delete(f"/api/v1/migration-entities/{eid}/").status_code == 204


def test_a_rollback_rehearsal_is_not_a_migration_rehearsal(project, users):
    """A rollback runbook's rehearsal moves no data: the plan's columns and the latest rehearsal (the
    restore-test criterion's) are the cutover runbooks' rehearsals only."""
    from tasks.models import RunbookKind

    entity(project, users["ops"], name="customers")
    cutover = rehearsal(project, users, days_ago=5)
    services.check_create(actor=users["ops"], run=cutover, entity="customers", source_count=1, target_count=1)
    back = runbook(project, users["ops"], name="Rollback", kind=RunbookKind.ROLLBACK)
    chain(back, users["ops"], 1, minutes=10)
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(days=1)
    play(run(back, users["ops"], planned_start=start), users["ops"])  # finished after the cutover rehearsal
    assert [r.pk for r in selectors.migration_plan(project=project)["runs"]] == [cutover.pk]
    latest, checks, _not_ready = selectors.migration_restore_state(project=project)
    assert latest.pk == cutover.pk and len(checks) == 1
    assert selectors.rehearsals_within_window(project=project)[0] == 1  # the cutover rehearsal only
