from django.contrib import admin

from projects.admin_base import AppendOnlyAdmin, HistoryAdmin

from .models import (
    Answer,
    Interview,
    Question,
    Requirement,
    RequirementConflict,
    RequirementReview,
    RequirementSequence,
    RequirementVersion,
    Survey,
    SurveyResponse,
)


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0


@admin.register(Survey)
class SurveyAdmin(HistoryAdmin):
    list_display = ["title", "project", "method", "status", "due_date", "owner"]
    list_filter = ["project", "method", "status"]
    search_fields = ["title"]
    list_select_related = ["project", "owner"]
    inlines = [QuestionInline]


@admin.register(Question)
class QuestionAdmin(HistoryAdmin):
    list_display = ["text", "survey", "kind", "required", "order"]
    list_filter = ["kind"]
    list_select_related = ["survey"]


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0


@admin.register(SurveyResponse)
class SurveyResponseAdmin(HistoryAdmin):
    list_display = ["survey", "respondent", "department", "submitted_at"]
    list_filter = ["survey"]
    list_select_related = ["survey", "respondent", "department"]
    inlines = [AnswerInline]


@admin.register(Answer)
class AnswerAdmin(HistoryAdmin):
    list_display = ["question", "response", "text", "scale"]
    list_select_related = ["question", "response"]


@admin.register(Interview)
class InterviewAdmin(HistoryAdmin):
    list_display = ["held_on", "interviewees", "survey", "department", "interviewer"]
    list_select_related = ["survey", "department", "interviewer"]


@admin.register(Requirement)
class RequirementAdmin(HistoryAdmin):
    list_display = ["code", "title", "project", "department", "priority", "status", "version", "author"]
    list_filter = ["project", "status", "priority"]
    search_fields = ["code", "title"]
    list_select_related = ["project", "department", "author"]
    readonly_fields = ["code", "number", "status", "version", "author", "submitted_at"]


@admin.register(RequirementVersion)
class RequirementVersionAdmin(AppendOnlyAdmin):
    list_display = ["requirement", "number", "title", "created_by", "created_at"]
    list_select_related = ["requirement", "created_by"]


@admin.register(RequirementReview)
class RequirementReviewAdmin(AppendOnlyAdmin):
    list_display = ["requirement", "version", "decision", "reviewer", "decided_at"]
    list_filter = ["decision"]
    list_select_related = ["requirement", "reviewer"]


@admin.register(RequirementConflict)
class RequirementConflictAdmin(HistoryAdmin):
    list_display = ["first", "second", "status", "project", "created_at"]
    list_filter = ["project", "status"]
    list_select_related = ["first", "second", "project"]


@admin.register(RequirementSequence)
class RequirementSequenceAdmin(AppendOnlyAdmin):
    list_display = ["project", "last_number"]
