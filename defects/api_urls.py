from . import api

# Registered on the shared router in config/api.py.
ROUTES = [
    ("defects", api.DefectViewSet, "defect"),
    ("test-cycles", api.TestCycleViewSet, "test-cycle"),
    ("test-cases", api.TestCaseViewSet, "test-case"),
    ("perf-targets", api.PerfTargetViewSet, "perf-target"),
    ("perf-runs", api.PerfRunViewSet, "perf-run"),
    ("security-findings", api.SecurityFindingViewSet, "security-finding"),
]
