from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.inbox, name="inbox"),
    path("notifications/badge/", views.badge, name="badge"),
    path("notifications/read-all/", views.mark_all_read, name="read_all"),
    path("notifications/preferences/", views.preferences, name="preferences"),
    path("notifications/<int:notification_id>/read/", views.mark_read, name="read"),
    path("notifications/<int:notification_id>/open/", views.open_notification, name="open"),
    path("projects/<int:pk>/notifications/reminders/", views.reminder_settings, name="reminder_settings"),
]
