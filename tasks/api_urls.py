from . import api

# Registered on the shared router in config/api.py.
ROUTES = [
    ("work-items", api.WorkItemViewSet, "workitem"),
    ("runbooks", api.RunbookViewSet, "runbook"),
    ("runs", api.RunViewSet, "run"),
    ("migration-checks", api.MigrationCheckViewSet, "migrationcheck"),
    ("migration-entities", api.MigrationEntityViewSet, "migration-entity"),
    ("contingency-plans", api.ContingencyPlanViewSet, "contingencyplan"),
    ("cutover-issues", api.CutoverIssueViewSet, "cutoverissue"),
    ("contingency-scenarios", api.ContingencyScenarioViewSet, "contingencyscenario"),
    ("drills", api.DrillViewSet, "drill"),
    ("env-checks", api.EnvCheckViewSet, "envcheck"),
]
