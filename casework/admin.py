from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_tasks import TaskResultStatus
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from casework.background import task_run_again
from casework.choices import MailStatus
from casework.identity.forms import AdminLoginForm
from casework.models import (
    AccessRequest,
    ApiKey,
    AuditEvent,
    ExternalIdentity,
    Invitation,
    Membership,
    Organisation,
    OutgoingMail,
    postal_address_parts,
)
from casework.services import (
    api_token_revoke,
    mail_resend,
    membership_grant,
    membership_revoke,
    organisation_language_form_set,
    organisation_postal_address_set,
)

# The admin's login follows the same lockout rule as the site's.
admin.site.login_form = AdminLoginForm
admin.site.site_header = _("Frikommune administration")
admin.site.site_title = _("Frikommune administration")
admin.site.index_title = _("Reference data and accounts")


class OrganisationAdminForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = "__all__"  # noqa: DJ007 (the admin shows every field of the reference data)

    def clean_postal_address(self):
        """The address as the portal's form takes it (``organisation_postal_address_set``):
        street or PO box, then "postcode place" on the last line."""
        value = self.cleaned_data["postal_address"]
        if "postal_address" not in self.changed_data:
            return value
        street, postcode, place = postal_address_parts(value)
        if not (street and postcode and place):
            raise ValidationError(
                _(
                    "Street or PO box on the first lines, then the postcode (four digits) and "
                    "place on the last, e.g. “2609 Lillehammer”."
                )
            )
        return value


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    form = OrganisationAdminForm
    list_display = ["name", "kind", "number", "code", "county", "language_form", "active"]
    list_filter = ["kind", "active", "language_form"]
    search_fields = ["name", "number", "code", "organisation_number"]
    raw_id_fields = ["county"]

    def save_model(self, request, obj, form, change):
        """A change of the written form or of the postal address goes through its service,
        audited."""
        before = Organisation.objects.get(pk=obj.pk) if change and obj.pk else None
        wanted, address = obj.language_form, obj.postal_address
        obj.language_form = before.language_form if before else ""
        obj.postal_address = before.postal_address if before else ""
        super().save_model(request, obj, form, change)
        if wanted != obj.language_form:
            organisation_language_form_set(
                actor=request.user, organisation=obj, language_form=wanted
            )
            obj.language_form = wanted
        if address != obj.postal_address:
            street, postcode, place = postal_address_parts(address)
            organisation_postal_address_set(
                actor=request.user,
                organisation=obj,
                street=street,
                postcode=postcode,
                place=place,
            )
            obj.postal_address = Organisation.objects.get(pk=obj.pk).postal_address


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "organisation__name"]
    raw_id_fields = ["user", "organisation"]

    def save_model(self, request, obj, form, change):
        if change:
            old = Membership.objects.get(pk=obj.pk)
            membership_revoke(actor=request.user, membership=old)
        grant = membership_grant(
            actor=request.user, user=obj.user, organisation=obj.organisation, role=obj.role
        )
        obj.pk = grant.pk

    def delete_model(self, request, obj):
        membership_revoke(actor=request.user, membership=obj)

    def delete_queryset(self, request, queryset):
        for membership in queryset:
            membership_revoke(actor=request.user, membership=membership)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is append-only."""

    list_display = ["created_at", "action", "object_repr", "from_state", "to_state", "actor"]
    list_filter = ["action"]
    search_fields = ["object_repr", "reason", "request_id"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccessRequest)
class AccessRequestAdmin(admin.ModelAdmin):
    """Read-only: requests are decided through the officers' page (the process and the
    service), never edited here."""

    list_display = ["reference", "created_at", "due_date", "status", "decided_at"]
    list_filter = ["status", "refusal_basis"]
    search_fields = ["reference"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Read-only: keys are created by their owners or ``manage.py create_api_token`` (the key
    is shown only then). Deleting one here revokes it through the service, so it is audited."""

    list_display = ["user", "prefix", "created", "last_used_at"]
    search_fields = ["user__username", "prefix"]
    date_hierarchy = "created"
    fields = ["user", "prefix", "created", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        api_token_revoke(actor=request.user, user=obj.user)

    def delete_queryset(self, request, queryset):
        for api_key in queryset.select_related("user"):
            api_token_revoke(actor=request.user, user=api_key.user)


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(admin.ModelAdmin):
    """Read-only: created by logging in. Deleting one unlinks that login from the account."""

    list_display = ["user", "provider", "created_at", "last_login_at", "last_acr"]
    list_filter = ["provider"]
    search_fields = ["user__username", "user__last_name"]
    fields = ["user", "provider", "subject", "created_at", "last_login_at", "last_acr"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Read-only: administrators invite on the organisation's people page."""

    list_display = ["email", "organisation", "role", "created_at", "expires_at", "accepted_at"]
    list_filter = ["role"]
    search_fields = ["email", "organisation__name"]
    fields = [
        "organisation",
        "role",
        "email",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
        "revoked_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin):
    """The outbox: what was sent, what is waiting, what failed after every attempt."""

    list_display = ["created_at", "subject", "key", "status", "attempts", "sent_at"]
    list_filter = ["status"]
    search_fields = ["key", "subject"]
    readonly_fields = [field.name for field in OutgoingMail._meta.fields]
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Send the selected failed mail again"))
    def send_again(self, request, queryset):
        mails = list(queryset.exclude(status=MailStatus.SENT))
        for mail in mails:
            mail_resend(actor=request.user, mail=mail)
        count = len(mails)
        self.message_user(
            request,
            ngettext("%(count)d mail queued again.", "%(count)d mails queued again.", count)
            % {"count": count},
            messages.SUCCESS,
        )


admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(DBTaskResultAdmin):
    """The background tasks; a task that failed after its last attempt can be run again."""

    actions = ["run_again"]

    @admin.action(description=_("Run the selected failed tasks again"))
    def run_again(self, request, queryset):
        failed = list(queryset.filter(status=TaskResultStatus.FAILED))
        for result in failed:
            task_run_again(result)
        count = len(failed)
        self.message_user(
            request,
            ngettext("%(count)d task queued again.", "%(count)d tasks queued again.", count)
            % {"count": count},
            messages.SUCCESS,
        )
