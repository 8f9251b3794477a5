"""Every write to projects, members, milestones, RACI and rota goes through here."""

from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import stamp
from .errors import DomainError, check_fields
from .models import (
    ApiToken,
    AuditAction,
    AuditEntry,
    Department,
    FeedToken,
    Membership,
    Milestone,
    OnCallShift,
    Project,
    Raci,
    Responsibility,
    Role,
    ShiftTier,
)
from .people import display_name

User = get_user_model()


def _clean(obj, exclude=None):
    """full_clean, turning Django's ValidationError into a DomainError naming the first field."""
    try:
        obj.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise DomainError(messages[0], field=None if field == "__all__" else field) from exc


def _check_window(*, window_start, window_end):
    if window_start and window_end and window_end <= window_start:
        raise DomainError(_("The cutover window must end after it starts."), field="window_end")


@transaction.atomic
def project_create(
    *, actor, name, code, go_live_at, window_start, window_end, description="", phase="preparation",
    hypercare_days=28,
) -> Project:
    if not (actor.is_staff or actor.is_superuser):
        raise DomainError(_("Only staff users may create projects."), code="permission")
    _check_window(window_start=window_start, window_end=window_end)
    if Project.objects.filter(code=code).exists():
        raise DomainError(_("A project with code “%(code)s” already exists.") % {"code": code}, field="code")
    project = Project(
        name=name, code=code, description=description, go_live_at=go_live_at,
        window_start=window_start, window_end=window_end, phase=phase, hypercare_days=hypercare_days,
    )
    _clean(project)
    stamp(project, actor).save()
    membership_add(actor=None, project=project, user=actor, role=Role.MANAGER)
    return project


def _check_go_live(*, go_live_at, window_start):
    if go_live_at and window_start and go_live_at < window_start:
        raise DomainError(_("The go-live must be inside the cutover window or after it, not before it starts."),
                          field="go_live_at")


@transaction.atomic
def project_clone(*, source, actor, name, code, go_live_at, window_start, window_end) -> Project:
    """A new project from `source` used as a template (项目模板): the project's settings, then every part
    the apps registered (`hooks.clone_part`: runbooks and steps, courses, RACI areas, SLA, readiness
    targets and sign-off roles, contingency scenarios). Nothing personal and nothing that happened: no
    people, defects, runs, answers, sessions or milestones. The caller becomes its manager.

    Runbook steps carry no dates, only their order, durations and dependencies, so they keep their
    relative times inside the new window by construction; nothing dated is copied. All or nothing."""
    from . import hooks

    if not actor.has_perm("projects.clone", source):
        raise DomainError(_("Only a manager of this project who is a staff user may copy it."), code="permission")
    name = (name or "").strip()
    code = (code or "").strip()
    if not name:
        raise DomainError(_("Give the new project a name."), field="name")
    if not code:
        raise DomainError(_("Give the new project a code."), field="code")
    _check_window(window_start=window_start, window_end=window_end)
    _check_go_live(go_live_at=go_live_at, window_start=window_start)
    if Project.objects.filter(code=code).exists():
        raise DomainError(_("A project with code “%(code)s” already exists.") % {"code": code}, field="code")
    target = Project(
        name=name, code=code, description=source.description, go_live_at=go_live_at,
        window_start=window_start, window_end=window_end, hypercare_days=source.hypercare_days,
    )
    _clean(target)
    target._change_reason = f"Copied from project {source.code} (#{source.pk})"
    stamp(target, actor).save()
    membership_add(actor=actor, project=target, user=actor, role=Role.MANAGER)
    copied = {}
    for part in hooks.clone_parts():
        copied[part.key] = part.func(source, target, actor)
    # The template's own log says what was made from it (the new project's log has every row it got).
    AuditEntry.objects.create(
        project=source, at=timezone.now(), actor=actor, model="projects.project", object_id=str(target.pk),
        object_repr=str(target)[:200], action=AuditAction.CREATED,
        changes={"copied_from": [None, source.pk], "code": [None, target.code], "copied": [None, copied]})
    target.copied = copied
    return target


def departments_copy(source, target, actor) -> int:
    """Clone part: the departments (names only; people join them in the new project)."""
    n = 0
    for department in source.departments.order_by("name"):
        stamp(Department(project=target, name=department.name), actor).save()
        n += 1
    return n


def raci_areas_copy(source, target, actor) -> int:
    """Clone part: the RACI work areas, not the people holding the letters. A cell needs a person, so
    each area starts with the new project's manager (the caller) as Informed: the grid lists the areas
    and flags each as lacking its Accountable until the manager assigns the real team."""
    areas = list(Responsibility.objects.filter(project=source).order_by("area").values_list("area", flat=True)
                 .distinct())
    for area in areas:
        stamp(Responsibility(project=target, area=area, user=actor, raci=Raci.INFORMED), actor).save()
    return len(areas)


PROJECT_FIELDS = {"name", "code", "description", "go_live_at", "window_start", "window_end", "phase",
                  "hypercare_days", "readiness_targets"}


@transaction.atomic
def project_update(*, actor, project, **changes) -> Project:
    check_fields(changes, allowed=PROJECT_FIELDS)
    project = Project.objects.select_for_update().get(pk=project.pk)
    for field, value in changes.items():
        setattr(project, field, value)
    _check_window(window_start=project.window_start, window_end=project.window_end)
    if "code" in changes and Project.objects.filter(code=project.code).exclude(pk=project.pk).exists():
        raise DomainError(_("A project with code “%(code)s” already exists.") % {"code": project.code}, field="code")
    _clean(project)
    stamp(project, actor).save(update_fields=list(changes) or None)
    return project


@transaction.atomic
def department_create(*, actor, project, name) -> Department:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the department a name."), field="name")
    if project.departments.filter(name=name).exists():
        raise DomainError(_("This project already has a department called “%(name)s”.") % {"name": name}, field="name")
    department = Department(project=project, name=name)
    stamp(department, actor).save()
    return department


@transaction.atomic
def department_update(*, actor, department, name) -> Department:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the department a name."), field="name")
    if department.project.departments.filter(name=name).exclude(pk=department.pk).exists():
        raise DomainError(_("This project already has a department called “%(name)s”.") % {"name": name}, field="name")
    department.name = name
    stamp(department, actor).save(update_fields=["name"])
    return department


def _check_department(project, department):
    if department is not None and department.project_id != project.pk:
        raise DomainError(_("That department belongs to another project."), field="department")


@transaction.atomic
def membership_add(
    *, actor, project, user, role, department=None, job_title="", phone=""
) -> Membership:
    if role not in Role.values:
        raise DomainError(
            _("Unknown role “%(role)s”. Choose one of: %(roles)s.") % {"role": role, "roles": ", ".join(Role.values)},
            field="role",
        )
    if user is None or not user.is_active:
        raise DomainError(_("Choose an active user."), field="user")
    _check_department(project, department)
    if Membership.objects.filter(project=project, user=user, role=role).exists():
        raise DomainError(
            _("%(user)s already has the role %(role)s in this project.")
            % {"user": display_name(user), "role": Role(role).label},
            field="role",
        )
    membership = Membership(
        project=project, user=user, role=role, department=department, job_title=job_title, phone=phone
    )
    try:
        with transaction.atomic():
            stamp(membership, actor).save()
    except IntegrityError as exc:  # a concurrent add of the same role
        raise DomainError(_("This person already has that role in this project."), field="role") from exc
    return membership


@transaction.atomic
def membership_update(*, actor, membership, **changes) -> Membership:
    allowed = {"role", "department", "job_title", "phone"}
    check_fields(changes, allowed=allowed)
    if "role" in changes:
        role = changes["role"]
        if role not in Role.values:
            raise DomainError(_("Unknown role “%(role)s”.") % {"role": role}, field="role")
        if (
            Membership.objects.filter(project_id=membership.project_id, user_id=membership.user_id, role=role)
            .exclude(pk=membership.pk)
            .exists()
        ):
            raise DomainError(_("This person already has that role in this project."), field="role")
        if membership.role == Role.MANAGER and role != Role.MANAGER:
            _ensure_another_manager(membership)
    if "department" in changes:
        _check_department(membership.project, changes["department"])
    for field, value in changes.items():
        setattr(membership, field, value)
    stamp(membership, actor).save(update_fields=list(changes) or None)
    return membership


def _ensure_another_manager(membership):
    others = Membership.objects.filter(project_id=membership.project_id, role=Role.MANAGER).exclude(pk=membership.pk)
    if not others.exists():
        raise DomainError(_("A project needs at least one manager: add another manager first."), field="role")


@transaction.atomic
def membership_remove(*, actor, membership) -> None:
    if membership.role == Role.MANAGER:
        _ensure_another_manager(membership)
    stamp(membership, actor).delete()


def _check_owner(project, owner, field="owner"):
    if owner is not None and not Membership.objects.filter(project=project, user=owner).exists():
        raise DomainError(_("The owner must be a member of the project."), field=field)


@transaction.atomic
def milestone_create(*, actor, project, name, planned_date, phase="preparation", owner=None,
                     actual_date=None, forecast_date=None) -> Milestone:
    _check_owner(project, owner)
    milestone = Milestone(project=project, name=name, planned_date=planned_date, phase=phase, owner=owner,
                          actual_date=actual_date, forecast_date=forecast_date)
    _clean(milestone, exclude=["project"])
    stamp(milestone, actor).save()
    return milestone


@transaction.atomic
def milestone_update(*, actor, milestone, **changes) -> Milestone:
    allowed = {"name", "planned_date", "actual_date", "forecast_date", "owner", "phase"}
    check_fields(changes, allowed=allowed)
    if "owner" in changes:
        _check_owner(milestone.project, changes["owner"])
    for field, value in changes.items():
        setattr(milestone, field, value)
    _clean(milestone, exclude=["project"])
    stamp(milestone, actor).save(update_fields=list(changes) or None)
    return milestone


@transaction.atomic
def milestone_delete(*, actor, milestone) -> None:
    stamp(milestone, actor).delete()


@transaction.atomic
def responsibility_set(*, actor, project, area, user, raci) -> Responsibility | None:
    """Set (or clear, with raci="") one cell of the RACI grid."""
    area = (area or "").strip()
    if not area:
        raise DomainError(_("Name the work area."), field="area")
    if raci and raci not in Raci.values:
        raise DomainError(_("Choose R, A, C or I."), field="raci")
    _check_owner(project, user, field="user")
    existing = Responsibility.objects.select_for_update().filter(project=project, area=area, user=user).first()
    if not raci:
        if existing:
            stamp(existing, actor).delete()
        return None
    if existing:
        if existing.raci != raci:
            existing.raci = raci
            stamp(existing, actor).save(update_fields=["raci"])
        return existing
    cell = Responsibility(project=project, area=area, user=user, raci=raci)
    stamp(cell, actor).save()
    return cell


def _check_tier(tier):
    if tier not in ShiftTier.values:
        raise DomainError(_("On call as “primary” or “backup”."), field="tier")


@transaction.atomic
def shift_create(*, actor, project, user, starts_at, ends_at, note="", tier=ShiftTier.PRIMARY) -> OnCallShift:
    if starts_at and ends_at and ends_at <= starts_at:
        raise DomainError(_("A shift must end after it starts."), field="ends_at")
    _check_owner(project, user, field="user")
    _check_tier(tier)
    shift = OnCallShift(project=project, user=user, starts_at=starts_at, ends_at=ends_at, note=note, tier=tier)
    _clean(shift, exclude=["project", "user"])
    stamp(shift, actor).save()
    return shift


@transaction.atomic
def shift_update(*, actor, shift, **changes) -> OnCallShift:
    allowed = {"user", "starts_at", "ends_at", "note", "tier"}
    check_fields(changes, allowed=allowed)
    if "tier" in changes:
        _check_tier(changes["tier"])
    for field, value in changes.items():
        setattr(shift, field, value)
    if shift.ends_at <= shift.starts_at:
        raise DomainError(_("A shift must end after it starts."), field="ends_at")
    if "user" in changes:
        _check_owner(shift.project, shift.user, field="user")
    stamp(shift, actor).save(update_fields=list(changes) or None)
    return shift


@transaction.atomic
def shift_delete(*, actor, shift) -> None:
    stamp(shift, actor).delete()


# --- calendar feeds ---------------------------------------------------------------------------

def feed_token_for(*, user) -> FeedToken:
    """The person's calendar-feed token, made on first use."""
    token = FeedToken.objects.filter(user=user).first()
    if token is None:
        token = feed_token_regenerate(user=user)
    return token


@transaction.atomic
def feed_token_regenerate(*, user) -> FeedToken:
    """A new secret for the person's feed URLs; every old URL stops working at once."""
    import secrets

    token, _created = FeedToken.objects.select_for_update().get_or_create(
        user=user, defaults={"token": secrets.token_urlsafe(32)})
    if not _created:
        token.token = secrets.token_urlsafe(32)
        token.save(update_fields=["token"])
    return token


# --- API tokens -------------------------------------------------------------------------------

def _token_digest(key: str) -> str:
    import hashlib

    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_issue(*, user) -> tuple[ApiToken, str]:
    """A new token for `user`: (the row, the key to hand over once). Expires after API_TOKEN_TTL_HOURS."""
    import secrets
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, digest=_token_digest(key), prefix=key[:8], password_hash=user.get_session_auth_hash(),
        expires_at=timezone.now() + timedelta(hours=settings.API_TOKEN_TTL_HOURS))
    return token, key


def api_token_find(*, key: str):
    """The live token for `key` (not revoked, not expired, owner active, password unchanged) or None."""
    from django.utils import timezone
    from django.utils.crypto import constant_time_compare

    token = ApiToken.objects.select_related("user").filter(digest=_token_digest(key)).first()
    if token is None or token.revoked_at is not None or token.expires_at <= timezone.now():
        return None
    if not token.user.is_active or not constant_time_compare(token.password_hash, token.user.get_session_auth_hash()):
        return None
    return token


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> None:
    from django.utils import timezone

    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


@transaction.atomic
def api_token_rotate(*, token: ApiToken) -> tuple[ApiToken, str]:
    """Revoke `token` and issue its owner a fresh one (a long-running integration renews itself)."""
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is not None:
        raise DomainError(_("This token was already revoked."), code="permission")
    api_token_revoke(token=locked)
    return api_token_issue(user=locked.user)


def api_tokens_revoke_for_user(*, user) -> int:
    """Revoke every live token of `user` (a password change, a departure)."""
    from django.utils import timezone

    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


def split_full_name(full_name: str) -> tuple[str, str]:
    """(first_name, last_name): 王建国 → (建国, 王) as people.display_name shows it back; "Na Li" → (Na, Li)."""
    full_name = " ".join(str(full_name or "").split())
    if not full_name:
        return "", ""
    if " " in full_name:
        first, last = full_name.rsplit(" ", 1)
        return first, last
    if any("\u4e00" <= ch <= "\u9fff" for ch in full_name):
        return full_name[1:], full_name[:1]
    return full_name, ""


@transaction.atomic
def person_create(*, actor, username, full_name="", email=""):
    """A person who signs in through the bank's directory (or gets a password reset): no usable password."""
    User = get_user_model()
    username = str(username or "").strip()
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        raise DomainError(_("“%(u)s” is not a valid username: letters, digits and @ . + - _ only, no spaces.")
                          % {"u": username}, field="username") from None
    if len(username) > 150:
        raise DomainError(_("A username has at most 150 characters."), field="username")
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(_("The username %(u)s is taken.") % {"u": username}, field="username")
    first, last = split_full_name(full_name)
    user = User(username=username, first_name=first[:150], last_name=last[:150], email=(email or "").strip())
    user.set_unusable_password()
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        raise DomainError(" ".join(m for ms in exc.message_dict.values() for m in ms),
                          field=next(iter(exc.message_dict))) from None
    user.save()
    return user
