from . import api

# Registered on the shared router in config/api.py.
ROUTES = [
    ("feedback", api.FeedbackViewSet, "feedback"),
    ("lessons", api.LessonViewSet, "lesson"),
    ("lesson-actions", api.LessonActionViewSet, "lesson-action"),
    ("complaints", api.ComplaintViewSet, "complaint"),
]
