"""Admin of hypercare: staff feedback, daily report subscriptions, lessons learned and actions."""

from django.contrib import admin

from projects.admin_base import HistoryAdmin

from .models import Complaint, Feedback, HypercareReportSubscription, Lesson, LessonAction, LessonVote


@admin.register(Feedback)
class FeedbackAdmin(HistoryAdmin):
    list_display = ["__str__", "project", "category", "submitter", "status", "outcome", "created_at"]
    list_filter = ["project", "category", "status", "outcome"]
    search_fields = ["text", "answer"]
    raw_id_fields = ["defect"]
    readonly_fields = ["screenshot_type"]


@admin.register(HypercareReportSubscription)
class HypercareReportSubscriptionAdmin(HistoryAdmin):
    list_display = ["project", "user", "created_at"]
    list_filter = ["project"]


@admin.register(Lesson)
class LessonAdmin(HistoryAdmin):
    list_display = ["text", "kind", "project", "author", "created_at"]
    list_filter = ["project", "kind"]
    search_fields = ["text"]
    list_select_related = ["project", "author"]


@admin.register(LessonVote)
class LessonVoteAdmin(admin.ModelAdmin):
    list_display = ["lesson", "user", "created_at"]
    list_select_related = ["lesson", "user"]


@admin.register(LessonAction)
class LessonActionAdmin(HistoryAdmin):
    list_display = ["title", "project", "owner", "due_date", "status"]
    list_filter = ["project", "status"]
    search_fields = ["title"]
    list_select_related = ["project", "owner"]


@admin.register(Complaint)
class ComplaintAdmin(HistoryAdmin):
    list_display = ["key", "project", "received_at", "channel", "category", "status", "customers_affected", "owner"]
    list_filter = ["status", "channel", "project"]
    list_select_related = ["project", "owner"]
    search_fields = ["category", "description"]
    raw_id_fields = ["defect", "owner", "created_by"]
    date_hierarchy = "received_at"
