from django.urls import path

from . import api

# Registered on the shared router in config/api.py.
ROUTES = [
    ("training/courses", api.CourseViewSet, "training-course"),
    ("training/sessions", api.SessionViewSet, "training-session"),
    ("training/enrolments", api.EnrolmentViewSet, "training-enrolment"),
    ("training/modules", api.ModuleViewSet, "training-module"),
    ("change-impacts", api.ChangeImpactViewSet, "change-impact"),
]

urlpatterns = [
    path("training/my-record/", api.MyRecordView.as_view(), name="training-my-record"),
]
