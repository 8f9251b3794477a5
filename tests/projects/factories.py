from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from projects.models import Department, Membership, Milestone, OnCallShift, Project, Responsibility


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@bank.example")
    password = factory.django.Password("correct-horse-battery")


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Core Banking {n}")
    code = factory.Sequence(lambda n: f"cbs-{n}")
    go_live_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    window_start = factory.LazyAttribute(lambda p: p.go_live_at - timedelta(hours=10))
    window_end = factory.LazyAttribute(lambda p: p.go_live_at + timedelta(hours=2))
    phase = "testing"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Department {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = "staff"


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Milestone {n}")
    planned_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=7))


class ResponsibilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Responsibility

    project = factory.SubFactory(ProjectFactory)
    area = "Cutover"
    user = factory.SubFactory(UserFactory)
    raci = "R"


class ShiftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OnCallShift

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    starts_at = factory.LazyAttribute(lambda s: s.project.window_start)
    ends_at = factory.LazyAttribute(lambda s: s.starts_at + timedelta(hours=12))


def member(project, role, user=None, **kwargs):
    """A user holding `role` in `project` (created if not given)."""
    user = user or UserFactory(username=f"{role}-{project.code}-{UserFactory._meta.model.objects.count()}")
    MembershipFactory(project=project, user=user, role=role, **kwargs)
    return user
