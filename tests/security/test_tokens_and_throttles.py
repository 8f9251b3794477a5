"""Issue 16, points 3 and 6: one client-IP rule, per-address log-in limits, expiring revocable tokens."""

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time
from rest_framework.test import APIClient

from projects import services
from projects.models import ApiToken
from projects.security import client_ip
from tests.projects.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


def _token(username, password=PASSWORD, **extra):
    return APIClient().post("/api/v1/auth/token/", {"username": username, "password": password}, format="json",
                            **extra)


def _client(key):
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return c


# --- client IP ----------------------------------------------------------------------------------

def test_forwarded_for_is_ignored_without_trusted_proxies(settings):
    settings.LIFTOFF_TRUSTED_PROXIES = 0
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(request) == "10.0.0.9"


def test_with_one_proxy_the_address_it_saw_counts(settings):
    settings.LIFTOFF_TRUSTED_PROXIES = 1
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    assert client_ip(request) == "203.0.113.7"  # the spoofed 6.6.6.6 the client sent is not believed


def test_axes_and_drf_use_the_same_rule(settings):
    from axes.helpers import get_client_ip_address
    from django.conf import settings as live
    from rest_framework.throttling import AnonRateThrottle

    from projects.security import ClientIpMixin

    assert live.REST_FRAMEWORK["NUM_PROXIES"] == live.LIFTOFF_TRUSTED_PROXIES  # DRF's own throttles agree
    settings.LIFTOFF_TRUSTED_PROXIES = 1
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    assert get_client_ip_address(request) == "203.0.113.7"

    class Throttle(ClientIpMixin, AnonRateThrottle):
        rate = "1/min"

    assert Throttle().get_ident(request) == "203.0.113.7"


# --- per-address log-in failures ------------------------------------------------------------------

def test_spraying_passwords_across_usernames_from_one_address_is_stopped(client, settings):
    settings.LOGIN_IP_FAILURE_LIMIT = 3
    users = [UserFactory() for _ in range(4)]
    for user in users[:3]:
        assert client.post(reverse("login"), {"username": user.username, "password": "wrong"}).status_code == 200
    blocked = client.post(reverse("login"), {"username": users[3].username, "password": PASSWORD})
    assert blocked.status_code == 429 and "_auth_user_id" not in client.session
    # a spoofed X-Forwarded-For buys no fresh budget
    spoofed = client.post(reverse("login"), {"username": users[3].username, "password": PASSWORD},
                          HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert spoofed.status_code == 429
    assert _token(users[3].username).status_code == 429  # the token endpoint shares the count


def test_token_endpoint_counts_failures_not_successful_logins(settings):
    settings.LOGIN_IP_FAILURE_LIMIT = 3
    user = UserFactory()
    for _ in range(10):
        assert _token(user.username).status_code == 200  # a busy integration is never throttled
    for _ in range(3):
        assert _token(user.username, "wrong").status_code == 401
    locked = _token(user.username)
    assert locked.status_code == 429 and locked.json()["detail"]
    assert locked["Content-Type"].startswith("application/json")


def test_axes_lock_out_answers_json_under_the_api(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 2
    user = UserFactory()
    for _ in range(2):
        _token(user.username, "wrong")
    response = _token(user.username)
    assert response.status_code == 429 and response["Content-Type"].startswith("application/json")


# --- tokens ---------------------------------------------------------------------------------------

def test_token_expires(settings):
    settings.API_TOKEN_TTL_HOURS = 1
    user = UserFactory()
    key = _token(user.username).json()["token"]
    assert _client(key).get("/api/v1/projects/").status_code == 200
    with freeze_time(timezone.now() + timedelta(hours=1, minutes=1)):
        response = _client(key).get("/api/v1/projects/")
        assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_revoke_ends_the_token_and_only_it():
    user = UserFactory()
    first, second = (_token(user.username).json()["token"] for _ in range(2))
    assert _client(first).post("/api/v1/auth/token/revoke/").status_code == 204
    assert _client(first).get("/api/v1/projects/").status_code == 401
    assert _client(second).get("/api/v1/projects/").status_code == 200
    assert ApiToken.objects.get(user=user, prefix=first[:8]).revoked_at is not None


def test_rotate_hands_out_a_new_token_and_revokes_the_old():
    user = UserFactory()
    old = _token(user.username).json()["token"]
    response = _client(old).post("/api/v1/auth/token/rotate/")
    assert response.status_code == 200
    new = response.json()["token"]
    assert new != old and response.json()["expires_at"]
    assert _client(old).get("/api/v1/projects/").status_code == 401
    assert _client(new).get("/api/v1/projects/").status_code == 200


def test_revoke_with_a_session_is_a_400(api):
    api.force_authenticate(UserFactory())
    assert api.post("/api/v1/auth/token/revoke/").status_code == 400


def test_a_password_change_revokes_every_token(client):
    user = UserFactory()
    key = _token(user.username).json()["token"]
    client.force_login(user)
    response = client.post(reverse("password_change"), {"old_password": PASSWORD, "new_password1": "a-new-long-pass-42",
                                                         "new_password2": "a-new-long-pass-42"})
    assert response.status_code == 302
    assert _client(key).get("/api/v1/projects/").status_code == 401
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=True).exists()


def test_a_password_set_anywhere_else_also_ends_tokens():
    user = UserFactory()
    token, key = services.api_token_issue(user=user)
    user.set_password("set-by-an-admin-123")
    user.save()
    assert _client(key).get("/api/v1/projects/").status_code == 401


def test_only_a_digest_of_the_key_is_stored():
    user = UserFactory()
    token, key = services.api_token_issue(user=user)
    assert key not in {token.digest, token.prefix} and len(token.digest) == 64
