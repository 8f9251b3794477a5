"""OIDC single sign-on: off unless configured; the login page shows its button when on."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from projects.directory import OIDCBackend
from projects.models import DirectoryProfile

User = get_user_model()


@pytest.fixture
def oidc(settings):
    settings.OIDC_ENABLED = True
    settings.OIDC_PROVIDER_NAME = "Bank SSO"
    settings.OIDC_RP_CLIENT_ID = "liftoff"
    settings.OIDC_RP_CLIENT_SECRET = "s3cret"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = "https://sso.bank.example/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = "https://sso.bank.example/token"
    settings.OIDC_OP_USER_ENDPOINT = "https://sso.bank.example/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = "https://sso.bank.example/jwks"
    return settings


def test_off_by_default_no_button_and_the_urls_are_404(client, db):
    page = client.get(reverse("login"))
    assert b"Sign in with" not in page.content
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/").status_code == 404


def test_on_the_login_page_has_the_button_and_it_sends_to_the_provider(client, db, oidc):
    page = client.get(reverse("login"))
    assert b"Sign in with Bank SSO" in page.content
    response = client.get("/oidc/authenticate/")
    assert response.status_code == 302
    assert response["Location"].startswith("https://sso.bank.example/authorize?")
    assert "client_id=liftoff" in response["Location"]


def test_backend_creates_or_updates_by_username_with_name_email_department(db, oidc):
    backend = OIDCBackend()
    claims = {"preferred_username": "zhangwei", "given_name": "伟", "family_name": "张",
              "email": "zw@bank.example", "department": "Cards"}
    assert backend.verify_claims(claims)
    assert not backend.verify_claims({"email": "x@bank.example"})
    user = backend.create_user(claims)
    assert not user.has_usable_password()
    assert (user.username, user.last_name, user.email) == ("zhangwei", "张", "zw@bank.example")
    assert DirectoryProfile.objects.get(user=user).department == "Cards"
    assert list(backend.filter_users_by_claims(claims)) == [user]
    backend.update_user(user, {**claims, "email": "new@bank.example", "department": "Loans"})
    user.refresh_from_db()
    assert user.email == "new@bank.example"
    assert DirectoryProfile.objects.get(user=user).department == "Loans"


def test_settings_refuse_a_half_configured_provider(monkeypatch):
    import subprocess
    import sys

    env = {"DEBUG": "1", "OIDC_CLIENT_ID": "liftoff", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", "import django, os; os.environ['DJANGO_SETTINGS_MODULE']="
                          "'config.settings'; from django.conf import settings; settings.INSTALLED_APPS"],
                         env=env, capture_output=True, text=True)
    assert out.returncode != 0
    assert "OIDC_AUTHORIZATION_ENDPOINT" in out.stderr


@pytest.fixture
def provider(settings):
    from tests.projects.fake_oidc import CLIENT_ID, CLIENT_SECRET, FakeProvider

    server = FakeProvider().start()
    settings.OIDC_ENABLED = True
    settings.OIDC_PROVIDER_NAME = "Bank SSO"
    settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET = CLIENT_ID, CLIENT_SECRET
    settings.OIDC_RP_SIGN_ALGO = "RS256"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = server.url + "/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = server.url + "/token"
    settings.OIDC_OP_USER_ENDPOINT = server.url + "/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = server.url + "/jwks"
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "projects.directory.OIDCBackend"]
    yield server
    server.stop()


def _sign_in(client, provider, claims):
    from urllib.parse import parse_qs, urlparse

    start = client.get("/oidc/authenticate/?next=/")
    query = parse_qs(urlparse(start["Location"]).query)
    code = provider.grant(query["nonce"][0], claims)  # the person signs in at the provider
    return client.get("/oidc/callback/", {"code": code, "state": query["state"][0]})


def test_single_sign_on_round_trip_against_a_real_http_provider(client, db, provider):
    claims = {"preferred_username": "zhaoli", "given_name": "丽", "family_name": "赵", "email": "zl@bank.example",
              "department": "Cards"}
    response = _sign_in(client, provider, claims)
    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(username="zhaoli")
    assert (user.last_name, user.email, user.has_usable_password()) == ("赵", "zl@bank.example", False)
    assert client.get(reverse("projects:list")).status_code == 200
    client.logout()
    _sign_in(client, provider, claims)  # the second sign-in finds the same user
    assert User.objects.filter(username="zhaoli").count() == 1


def test_a_forged_code_signs_nobody_in(client, db, provider):
    from urllib.parse import parse_qs, urlparse

    query = parse_qs(urlparse(client.get("/oidc/authenticate/")["Location"]).query)
    response = client.get("/oidc/callback/", {"code": "made-up", "state": query["state"][0]})
    assert response.status_code == 302 and "sso=failed" in response["Location"]
    assert b"did not sign you in" in client.get(response["Location"]).content
    assert not User.objects.exclude(username="").exists()


def test_login_page_says_to_use_the_bank_account_when_ldap_is_on(client, db, settings):
    assert b"your bank account" not in client.get(reverse("login")).content
    settings.LDAP_AUTH_URL = ["ldap://127.0.0.1:1"]
    assert b"your bank account" in client.get(reverse("login")).content


def test_ldap_server_down_is_a_failed_login_not_an_error(client, db, settings):
    settings.LDAP_AUTH_URL = ["ldap://127.0.0.1:1"]
    settings.LDAP_AUTH_SEARCH_BASE = "ou=people,dc=x"
    settings.LDAP_AUTH_CONNECT_TIMEOUT = 1
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "django_python3_ldap.auth.LDAPBackend"]
    response = client.post(reverse("login"), {"username": "someone", "password": "whatever-pass-1"})
    assert response.status_code == 200 and not User.objects.filter(username="someone").exists()
