from django.contrib import admin

from projects.admin_base import HistoryAdmin

from . import services
from .models import (
    CalendarToken,
    ChangeImpact,
    Course,
    CourseMaterial,
    Enrolment,
    Module,
    ModuleProgress,
    Question,
    Session,
)


class MaterialInline(admin.TabularInline):
    model = CourseMaterial
    extra = 0


@admin.register(Course)
class CourseAdmin(HistoryAdmin):
    list_display = ["title", "project", "duration_minutes", "required_roles"]
    list_filter = ["project"]
    search_fields = ["title"]
    filter_horizontal = ["required_departments"]
    inlines = [MaterialInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is not CourseMaterial:
            return super().save_formset(request, form, formset, change)
        # Materials removed here go through the service too, so their files leave the disk.
        materials = formset.save(commit=False)
        for material in formset.deleted_objects:
            services.material_delete(actor=request.user, material=material)
        for material in materials:
            material.save()
        formset.save_m2m()


@admin.register(CourseMaterial)
class CourseMaterialAdmin(HistoryAdmin):
    list_display = ["title", "course", "file", "link"]
    list_select_related = ["course"]

    def delete_model(self, request, obj):
        services.material_delete(actor=request.user, material=obj)

    def delete_queryset(self, request, queryset):
        for material in queryset:
            services.material_delete(actor=request.user, material=material)


class EnrolmentInline(admin.TabularInline):
    model = Enrolment
    extra = 0
    raw_id_fields = ["user"]
    readonly_fields = ["status", "waitlist_position", "created_at"]


@admin.register(Session)
class SessionAdmin(HistoryAdmin):
    list_display = ["course", "starts_at", "ends_at", "mode", "capacity", "trainer", "project"]
    list_filter = ["project", "mode"]
    list_select_related = ["course", "trainer", "project"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["trainer"]
    inlines = [EnrolmentInline]


@admin.register(Enrolment)
class EnrolmentAdmin(HistoryAdmin):
    list_display = ["user", "session", "status", "waitlist_position", "created_at"]
    list_filter = ["status", "session__project"]
    list_select_related = ["user", "session__course"]
    search_fields = ["user__username", "user__last_name", "session__course__title"]
    raw_id_fields = ["user", "session"]


@admin.register(CalendarToken)
class CalendarTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at"]
    readonly_fields = ["token"]
    raw_id_fields = ["user"]


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0


@admin.register(Module)
class ModuleAdmin(HistoryAdmin):
    list_display = ["title", "course", "kind", "minutes", "pass_mark", "position"]
    list_filter = ["kind", "course__project"]
    list_select_related = ["course"]
    search_fields = ["title"]
    inlines = [QuestionInline]

    def delete_model(self, request, obj):
        services.module_delete(actor=request.user, module=obj)


@admin.register(ModuleProgress)
class ModuleProgressAdmin(HistoryAdmin):
    """Learners' progress: read-only here (it is what the learners did)."""

    list_display = ["user", "module", "started_at", "quiz_score", "quiz_passed_at", "completed_at"]
    list_select_related = ["user", "module"]
    list_filter = ["module__course__project"]
    readonly_fields = ["module", "user", "started_at", "quiz_attempts", "quiz_score", "quiz_passed_at", "completed_at"]

    def has_add_permission(self, request):
        return False


@admin.register(ChangeImpact)
class ChangeImpactAdmin(HistoryAdmin):
    list_display = ["area", "project", "department", "role", "impact"]
    list_filter = ["impact", "project"]
    list_select_related = ["project", "department"]
    search_fields = ["area", "change", "actions"]
