from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import CalendarToken, Course, CourseMaterial, Enrolment, Session


class MaterialInline(admin.TabularInline):
    model = CourseMaterial
    extra = 0


@admin.register(Course)
class CourseAdmin(SimpleHistoryAdmin):
    list_display = ["title", "project", "duration_minutes", "required_roles"]
    list_filter = ["project"]
    search_fields = ["title"]
    filter_horizontal = ["required_departments"]
    inlines = [MaterialInline]


@admin.register(CourseMaterial)
class CourseMaterialAdmin(SimpleHistoryAdmin):
    list_display = ["title", "course", "file", "link"]
    list_select_related = ["course"]


class EnrolmentInline(admin.TabularInline):
    model = Enrolment
    extra = 0
    raw_id_fields = ["user"]
    readonly_fields = ["status", "waitlist_position", "created_at"]


@admin.register(Session)
class SessionAdmin(SimpleHistoryAdmin):
    list_display = ["course", "starts_at", "ends_at", "mode", "capacity", "trainer", "project"]
    list_filter = ["project", "mode"]
    list_select_related = ["course", "trainer", "project"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["trainer"]
    inlines = [EnrolmentInline]


@admin.register(Enrolment)
class EnrolmentAdmin(SimpleHistoryAdmin):
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
