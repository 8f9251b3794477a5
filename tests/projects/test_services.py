from datetime import timedelta

import pytest
from django.utils import timezone

from projects import services
from projects.errors import DomainError
from projects.models import Membership, Project, Responsibility
from tests.projects.factories import DepartmentFactory, ProjectFactory, UserFactory, member

pytestmark = pytest.mark.django_db


def _window(hours=4):
    start = timezone.now() + timedelta(days=10)
    return start, start + timedelta(hours=hours)


def test_staff_creates_project_and_becomes_manager():
    user = UserFactory(is_staff=True)
    start, end = _window()
    project = services.project_create(actor=user, name="Loans", code="loans", go_live_at=end, window_start=start,
                                      window_end=end)
    assert Membership.objects.filter(project=project, user=user, role="manager").exists()
    assert project.history.count() == 1
    assert project.history.first().history_user == user


def test_non_staff_cannot_create_project():
    with pytest.raises(DomainError):
        start, end = _window()
        services.project_create(actor=UserFactory(), name="X", code="x", go_live_at=end, window_start=start,
                                window_end=end)
    assert not Project.objects.exists()


def test_window_end_before_start_is_refused_and_nothing_saved():
    start, end = _window()
    with pytest.raises(DomainError) as exc:
        services.project_create(actor=UserFactory(is_staff=True), name="X", code="x", go_live_at=end,
                                window_start=end, window_end=start)
    assert exc.value.field == "window_end"
    assert not Project.objects.exists() and not Membership.objects.exists()


def test_duplicate_code_is_refused():
    ProjectFactory(code="dup")
    start, end = _window()
    with pytest.raises(DomainError) as exc:
        services.project_create(actor=UserFactory(is_staff=True), name="X", code="dup", go_live_at=end,
                                window_start=start, window_end=end)
    assert exc.value.field == "code"


def test_membership_rules():
    project = ProjectFactory()
    manager = member(project, "manager")
    user = UserFactory()
    services.membership_add(actor=manager, project=project, user=user, role="tester")
    services.membership_add(actor=manager, project=project, user=user, role="developer")  # several roles
    with pytest.raises(DomainError) as exc:
        services.membership_add(actor=manager, project=project, user=user, role="tester")
    assert exc.value.field == "role"
    with pytest.raises(DomainError):
        services.membership_add(actor=manager, project=project, user=user, role="wizard")
    other_dept = DepartmentFactory()
    with pytest.raises(DomainError) as exc:
        services.membership_add(actor=manager, project=project, user=UserFactory(), role="staff",
                                department=other_dept)
    assert exc.value.field == "department"
    assert Membership.objects.filter(project=project, user=user).count() == 2


def test_last_manager_cannot_be_removed_or_demoted():
    project = ProjectFactory()
    manager = member(project, "manager")
    only = Membership.objects.get(project=project, user=manager)
    with pytest.raises(DomainError):
        services.membership_remove(actor=manager, membership=only)
    with pytest.raises(DomainError):
        services.membership_update(actor=manager, membership=only, role="staff")
    member(project, "manager")
    services.membership_remove(actor=manager, membership=only)
    assert not Membership.objects.filter(pk=only.pk).exists()


def test_responsibility_set_and_clear_keeps_history():
    project = ProjectFactory()
    manager = member(project, "manager")
    cell = services.responsibility_set(actor=manager, project=project, area="Cutover", user=manager, raci="A")
    services.responsibility_set(actor=manager, project=project, area="Cutover", user=manager, raci="R")
    cell.refresh_from_db()
    assert cell.raci == "R"
    services.responsibility_set(actor=manager, project=project, area="Cutover", user=manager, raci="")
    assert not Responsibility.objects.exists()
    assert Responsibility.history.filter(project_id=project.pk).count() == 3


def test_responsibility_needs_member_and_valid_letter():
    project = ProjectFactory()
    manager = member(project, "manager")
    with pytest.raises(DomainError):
        services.responsibility_set(actor=manager, project=project, area="X", user=UserFactory(), raci="A")
    with pytest.raises(DomainError):
        services.responsibility_set(actor=manager, project=project, area="X", user=manager, raci="Z")


def test_shift_must_end_after_start_and_owner_must_be_member():
    project = ProjectFactory()
    ops = member(project, "ops")
    start = project.window_start
    with pytest.raises(DomainError) as exc:
        services.shift_create(actor=ops, project=project, user=ops, starts_at=start, ends_at=start)
    assert exc.value.field == "ends_at"
    with pytest.raises(DomainError):
        services.shift_create(actor=ops, project=project, user=UserFactory(), starts_at=start,
                              ends_at=start + timedelta(hours=1))


def test_milestone_update_records_history():
    project = ProjectFactory()
    manager = member(project, "manager")
    milestone = services.milestone_create(actor=manager, project=project, name="SIT",
                                          planned_date=timezone.localdate())
    services.milestone_update(actor=manager, milestone=milestone, actual_date=timezone.localdate())
    assert milestone.history.count() == 2
    assert milestone.done
