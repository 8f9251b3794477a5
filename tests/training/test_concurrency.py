"""No overbooking under concurrency: needs real row locks, so PostgreSQL only."""

import threading
from datetime import timedelta

import pytest
from django.db import connection

from tests.projects.factories import ProjectFactory, member
from tests.utils import requires_postgres
from training import services
from training.models import Enrolment

from .factories import make_course, make_session


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_sign_ups_for_ten_seats():
    project = ProjectFactory()
    trainer = member(project, "trainer")
    session = make_session(make_course(project, trainer), trainer, capacity=10, starts_in=timedelta(days=2))
    people = [member(project, "staff") for _ in range(50)]
    start = threading.Barrier(len(people))
    errors = []

    def sign_up(user):
        try:
            start.wait(timeout=30)
            services.enrolment_enrol(actor=user, session=session)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=sign_up, args=(u,)) for u in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    enrolled = Enrolment.objects.filter(session=session, status="enrolled").count()
    waitlisted = list(Enrolment.objects.filter(session=session, status="waitlisted")
                      .order_by("waitlist_position").values_list("waitlist_position", flat=True))
    assert enrolled == 10
    assert waitlisted == list(range(1, 41))  # 40 waiting, numbered 1..40 without gaps or duplicates
