"""The shape of the code base (docs/architecture.md), checked on the import graph.

Every import counts, also one inside a function: an import that only runs later is still a
dependency. Migrations and tests are left out.
"""

import grimp
import pytest
from django.conf import settings

# What each app may import from the others. "*" is anything; a set names the public modules.
PUBLIC_NOTIFICATIONS = {"notifications.services", "notifications.registry"}
PUBLIC_READINESS = {"readiness.registry"}
ALLOWED = {
    "projects": {},
    "notifications": {"projects": "*"},
    # Risk reviews, meeting actions and the weekly status report remind people through the outbox.
    "readiness": {"projects": "*", "notifications": PUBLIC_NOTIFICATIONS},
    "requirements": {"projects": "*", "notifications": PUBLIC_NOTIFICATIONS, "readiness": PUBLIC_READINESS},
    "defects": {"projects": "*", "notifications": PUBLIC_NOTIFICATIONS, "readiness": PUBLIC_READINESS},
    "training": {"projects": "*", "notifications": PUBLIC_NOTIFICATIONS, "readiness": PUBLIC_READINESS},
    "tasks": {"projects": "*", "notifications": PUBLIC_NOTIFICATIONS, "readiness": PUBLIC_READINESS},
    # Incidents are defects found in hypercare: hypercare reads and files them through the defects app.
    "hypercare": {"projects": "*", "notifications": PUBLIC_NOTIFICATIONS, "readiness": PUBLIC_READINESS,
                  "defects": "*"},
}


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph(*settings.LIFTOFF_APPS, "config", include_external_packages=False)


def _ours(module):
    return ".migrations" not in module and not module.startswith("tests")


def test_every_app_is_in_the_rules():
    assert set(ALLOWED) == set(settings.LIFTOFF_APPS)


def test_apps_import_only_what_they_may(graph):
    wrong = []
    for app, allowed in ALLOWED.items():
        for importer in sorted(m for m in graph.find_children(app) | graph.find_descendants(app) if _ours(m)):
            for imported in graph.find_modules_directly_imported_by(importer):
                other = imported.split(".")[0]
                if other == app:
                    continue
                rule = allowed.get(other)
                if rule == "*" or (rule and imported in rule):
                    continue
                wrong.append(f"{importer} imports {imported}")
    assert wrong == []


def test_no_import_cycles_between_modules(graph):
    """Tarjan's strongly connected components over every module of the project."""
    modules = sorted(m for m in graph.modules if _ours(m))
    index, low, on_stack, stack, cycles = {}, {}, set(), [], []

    def visit(root):
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if not _ours(child):
                    continue
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        cycles.append(sorted(component))

    for module in modules:
        if module not in index:
            visit(module)
    assert cycles == []
