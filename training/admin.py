from django.contrib import admin

from projects.admin_base import HistoryAdmin

from . import services
from .models import CalendarToken, Course, CourseMaterial, Enrolment, Session


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
