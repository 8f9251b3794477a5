"""Who belongs to which project, in which roles. Cached per user object (i.e. per request)."""

from django.http import Http404

from .models import Membership, Project, Role


def _cache(user):
    cache = getattr(user, "_liftoff_roles", None)
    if cache is None:
        cache = {}
        user._liftoff_roles = cache
    return cache


def project_of(obj):
    """The project an object belongs to (the object itself when it is a project)."""
    if obj is None or isinstance(obj, Project):
        return obj
    if hasattr(obj, "project_id") and hasattr(obj, "project"):
        return obj.project
    get = getattr(obj, "get_project", None)
    if get is not None:
        return get()
    raise TypeError(f"Cannot find the project of {obj!r}")


def roles_of(user, project) -> frozenset:
    """The set of role names `user` holds in `project` (empty for non-members)."""
    if user is None or not user.is_authenticated or project is None:
        return frozenset()
    project_id = project if isinstance(project, int) else project_of(project).pk
    cache = _cache(user)
    if project_id not in cache:
        cache[project_id] = frozenset(
            Membership.objects.filter(project_id=project_id, user=user).values_list("role", flat=True)
        )
    return cache[project_id]


def remember_roles(user, project_id, roles):
    """Keep roles that a query loaded anyway (e.g. with the project), so `roles_of` asks no more."""
    _cache(user)[project_id] = frozenset(roles)


def prime_roles(user, project_ids):
    """Load the user's roles for many projects in one query (list pages)."""
    if not user.is_authenticated:
        return
    cache = _cache(user)
    missing = [pk for pk in project_ids if pk not in cache]
    if not missing:
        return
    found = {pk: set() for pk in missing}
    for project_id, role in Membership.objects.filter(project_id__in=missing, user=user).values_list(
        "project_id", "role"
    ):
        found[project_id].add(role)
    cache.update({pk: frozenset(r) for pk, r in found.items()})


def has_role(user, project, *roles) -> bool:
    """Managers may do everything in their project; others need one of `roles`."""
    held = roles_of(user, project)
    return Role.MANAGER in held or bool(held.intersection(roles))


def member_project_ids(user):
    return Membership.objects.filter(user=user).values("project_id")


def require_member(user, project):
    """404 unless the user is a member: ids leak nothing to outsiders."""
    if not roles_of(user, project):
        raise Http404
    return project
