from . import api

# Registered on the shared router in config/api.py.
ROUTES = [
    ("requirements", api.RequirementViewSet, "requirement"),
    ("requirement-conflicts", api.ConflictViewSet, "requirement-conflict"),
    ("surveys", api.SurveyViewSet, "survey"),
]
