"""Admin base classes: history is evidence, and records of decisions are append-only.

`HistoryAdmin` replaces simple-history's `SimpleHistoryAdmin` everywhere: the history of every
object stays viewable, but its "revert" form is refused (a revert would restore, say, an approved
version of a rejected requirement with nobody reviewing it). `AppendOnlyAdmin` is for approvals,
transitions and sign-offs: the admin may look, never add, change or delete.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin


class HistoryAdmin(SimpleHistoryAdmin):
    def revert_disabled(self, request, obj=None):
        return True

    def has_change_history_permission(self, request, obj=None):
        return False

    def has_view_history_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple-history saves the POSTed form of an old version even when the button is hidden.
        if request.method != "GET":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class AppendOnlyMixin:
    """View-only: written once by a service, never edited, reverted or deleted here."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        return {}


class AppendOnlyAdmin(AppendOnlyMixin, HistoryAdmin):
    """An append-only record that also keeps a simple-history trail."""


class AppendOnlyModelAdmin(AppendOnlyMixin, admin.ModelAdmin):
    """An append-only record without a history table."""
