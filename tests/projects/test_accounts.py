import pytest
from django.urls import reverse

from tests.projects.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_login_page_and_login(client):
    UserFactory(username="carol")
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": "carol", "password": "correct-horse-battery"})
    assert response.status_code == 302


def test_failed_logins_lock_out_with_cool_off(client, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(username="dave")
    for _ in range(3):
        client.post(reverse("login"), {"username": "dave", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "dave", "password": "correct-horse-battery"})
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()
    from axes.models import AccessAttempt

    assert AccessAttempt.objects.filter(username="dave").exists()


def test_password_validators_require_12_chars(client):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password("short-pw1")
    validate_password("a-much-longer-passphrase")


def test_password_change_page(client):
    user = UserFactory()
    client.force_login(user)
    assert client.get(reverse("password_change")).status_code == 200


def test_logout_requires_post(client):
    client.force_login(UserFactory())
    assert client.post(reverse("logout")).status_code == 302


def test_idle_session_is_logged_out(client, settings):
    import time

    settings.SESSION_IDLE_TIMEOUT = 60
    client.force_login(UserFactory())
    session = client.session
    session["last_seen"] = int(time.time()) - 3600
    session.save()
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_healthz_and_readyz(client, settings):
    assert client.get("/healthz").json() == {"status": "ok"}
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "broker" in response.json()["problems"]
