from . import api, api_feedback

# Registered on the shared router in config/api.py.
ROUTES = [
    ("defects", api.DefectViewSet, "defect"),
    ("test-cycles", api.TestCycleViewSet, "test-cycle"),
    ("test-cases", api.TestCaseViewSet, "test-case"),
    ("feedback", api_feedback.FeedbackViewSet, "feedback"),
]
