from django.contrib import admin

from trials.models import Application, Call, Regulation, Trial


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ["title", "stage", "opens_on", "closes_on", "owner"]
    list_filter = ["stage"]
    search_fields = ["title"]


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    """Read-only: applications change only through the portal, the API and the process."""

    list_display = ["reference", "title", "lead_organisation", "stage", "status", "submitted_at"]
    list_filter = ["status", "stage"]
    search_fields = ["reference", "title", "lead_organisation__name"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Trials change only through their services (the workspace, the portal, the API and the
    timers): the admin shows them."""

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Trial)
class TrialAdmin(ReadOnlyAdmin):
    list_display = ["application", "status", "starts_on", "ends_on", "officer"]
    list_filter = ["status"]
    search_fields = ["application__reference", "application__title"]


@admin.register(Regulation)
class RegulationAdmin(ReadOnlyAdmin):
    list_display = ["for_id", "title", "in_force_from", "in_force_to"]
    search_fields = ["for_id", "title"]
