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
    path("projects/<int:pk>/alerts/", views.alerts, name="alerts"),
    path("projects/<int:pk>/alerts/<int:alert_id>/", views.alert_detail, name="alert"),
    path("projects/<int:pk>/alerts/<int:alert_id>/<str:verb>/", views.alert_action, name="alert_action"),
    path("projects/<int:pk>/alerts/escalation/", views.policies, name="policies"),
    path("projects/<int:pk>/alerts/escalation/<int:policy_id>/", views.policy_detail, name="policy"),
    path("projects/<int:pk>/alerts/channels/", views.channels, name="channels"),
    path("projects/<int:pk>/alerts/channels/<int:channel_id>/", views.channel_detail, name="channel"),
    path("projects/<int:pk>/alerts/channels/<int:channel_id>/test/", views.channel_test, name="channel_test"),
]
