"""LDAP sign-in against a real OpenLDAP (slapd) server: no mocks."""

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.urls import reverse

from projects.models import DirectoryProfile, Membership
from projects.services import department_create, membership_add
from tests.projects.factories import ProjectFactory, UserFactory
from tests.projects.slapd import GROUP_DN, MISSING, PASSWORD, PEOPLE, Slapd

pytestmark = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")

User = get_user_model()
BACKENDS = ["axes.backends.AxesStandaloneBackend", "rules.permissions.ObjectPermissionBackend",
            "django.contrib.auth.backends.ModelBackend", "django_python3_ldap.auth.LDAPBackend"]


@pytest.fixture(scope="session")
def slapd():
    server = Slapd().start()
    yield server
    server.stop()


@pytest.fixture
def ldap(settings, slapd):
    settings.LDAP_AUTH_URL = [slapd.url]
    settings.LDAP_AUTH_SEARCH_BASE = PEOPLE
    settings.LIFTOFF_LDAP_DEPARTMENT_ATTR = "departmentNumber"
    settings.LIFTOFF_LDAP_REQUIRE_GROUP = ""
    settings.AUTHENTICATION_BACKENDS = BACKENDS
    return settings


def test_first_sign_in_creates_the_user_with_directory_name_email_and_department(db, ldap):
    assert not User.objects.filter(username="wangjg").exists()
    user = authenticate(username="wangjg", password=PASSWORD)
    assert user is not None
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.email) == ("建国", "王", "wangjg@bank.example")
    assert not user.has_usable_password()
    assert DirectoryProfile.objects.get(user=user).department == "Retail Banking"


def test_wrong_password_and_unknown_user_are_refused(db, ldap):
    assert authenticate(username="wangjg", password="wrong-password-1") is None
    assert authenticate(username="nobody", password=PASSWORD) is None
    assert not User.objects.filter(username__in=["wangjg", "nobody"]).exists()


def test_only_the_configured_group_may_sign_in(db, ldap):
    ldap.LIFTOFF_LDAP_REQUIRE_GROUP = GROUP_DN
    assert authenticate(username="outsider", password=PASSWORD) is None
    ldap.LIFTOFF_LDAP_REQUIRE_GROUP = ""
    assert authenticate(username="outsider", password=PASSWORD) is not None  # found, but not in the group:
    User.objects.filter(username="outsider").delete()
    ldap.LIFTOFF_LDAP_REQUIRE_GROUP = GROUP_DN
    assert authenticate(username="outsider", password=PASSWORD) is None
    assert not User.objects.filter(username="outsider").exists()
    assert authenticate(username="lina", password=PASSWORD) is not None


def test_an_imported_user_signs_in_through_the_directory_and_gets_the_projects_department(db, ldap):
    project = ProjectFactory()
    manager = UserFactory()
    membership_add(actor=manager, project=project, user=manager, role="manager")
    ops = department_create(actor=manager, project=project, name="operations")
    imported = User.objects.create_user("lina")  # as the people import creates them: no usable password
    membership = membership_add(actor=manager, project=project, user=imported, role="ops")
    user = authenticate(username="lina", password=PASSWORD)
    assert user.pk == imported.pk
    membership.refresh_from_db()
    assert membership.department == ops  # matched case-insensitively: "Operations"
    assert User.objects.filter(username="lina").count() == 1
    assert Membership.objects.filter(user=imported).count() == 1


def test_local_accounts_keep_working(db, ldap):
    UserFactory(username="local-pm")
    assert authenticate(username="local-pm", password="correct-horse-battery").username == "local-pm"


def test_login_page_signs_a_directory_user_in(client, db, ldap):
    response = client.post(reverse("login"), {"username": "lina", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("projects:list")).status_code == 200


def test_axes_locks_a_directory_account_out_after_repeated_failures(client, db, ldap):
    ldap.AXES_ENABLED = True
    ldap.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post(reverse("login"), {"username": "wangjg", "password": "wrong-password-1"})
    response = client.post(reverse("login"), {"username": "wangjg", "password": PASSWORD})
    assert response.status_code in (403, 429)
    assert not User.objects.filter(username="wangjg").exists()
