from django.contrib import admin

from trials.models import Application, Call


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
