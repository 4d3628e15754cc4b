"""Organisations manage their own people: invite by email, give and take roles, see who has
access. Every page finds the organisation through ``organisations_managed_by`` (404 for
anyone else) and every change goes through a service that checks the role once more."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casework import services
from casework.choices import Role
from casework.identity.providers import configured_providers
from casework.models import Invitation, Membership, postal_address_parts
from casework.people.forms import (
    AnsattportenForm,
    InvitationForm,
    LanguageFormForm,
    OrganisationSearchForm,
    PostalAddressForm,
    RoleGiveForm,
    language_form_value,
)
from casework.selectors import (
    organisation_people,
    organisations_managed_by,
    roles_manageable_by,
)


def _organisation(request, pk: int):
    return get_object_or_404(organisations_managed_by(request.user), pk=pk)


@never_cache
@login_required
@require_GET
def organisation_list(request):
    organisations = organisations_managed_by(request.user)
    form = OrganisationSearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    if query:
        organisations = organisations.filter(
            Q(name__icontains=query) | Q(number=query) | Q(code__iexact=query)
        )
    if not organisations.exists() and not query:
        raise PermissionDenied
    if not query and organisations.count() == 1:
        return redirect("people:organisation", pk=organisations.get().pk)
    page = Paginator(organisations.order_by("kind", "name"), 50).get_page(request.GET.get("side"))
    return render(request, "people/organisation_list.html", {"form": form, "page": page})


def _postal_address_form(organisation) -> PostalAddressForm:
    street, postcode, place = postal_address_parts(organisation.postal_address)
    return PostalAddressForm(initial={"street": street, "postcode": postcode, "place": place})


def _render_people(
    request,
    organisation,
    *,
    invite_form=None,
    give_form=None,
    language_form=None,
    address_form=None,
    status=200,
):
    roles = roles_manageable_by(request.user, organisation)
    people = organisation_people(organisation)
    can_set_login = Role.ADMINISTRATOR in roles and len(roles) > 1
    context = {
        "organisation": organisation,
        "people": people,
        "roles": roles,
        "invitations": Invitation.objects.pending().filter(organisation=organisation),
        "invite_form": invite_form or InvitationForm(roles=roles),
        "give_form": give_form or RoleGiveForm(roles=roles, people=people),
        "ansattporten_form": AnsattportenForm(
            roles=roles, initial={"role": organisation.ansattporten_role}
        )
        if can_set_login and any(p.key == "ansattporten" for p in configured_providers())
        else None,
        "ansattporten_role": organisation.get_ansattporten_role_display(),
        "language_form": language_form
        or LanguageFormForm(initial={"language_form": organisation.language_form or "neutral"}),
        "address_form": address_form or _postal_address_form(organisation),
    }
    return render(request, "people/organisation.html", context, status=status)


@never_cache
@login_required
@require_GET
def organisation_detail(request, pk):
    return _render_people(request, _organisation(request, pk))


@login_required
@require_POST
def invitation_create(request, pk):
    organisation = _organisation(request, pk)
    roles = roles_manageable_by(request.user, organisation)
    form = InvitationForm(request.POST, roles=roles)
    if form.is_valid():
        try:
            services.invitation_create(
                actor=request.user,
                organisation=organisation,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                language=get_language() or "nb",
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request,
                _("The invitation has been sent to %(email)s.")
                % {"email": form.cleaned_data["email"]},
            )
            return redirect("people:organisation", pk=organisation.pk)
    return _render_people(request, organisation, invite_form=form, status=400)


@login_required
@require_POST
def role_give(request, pk):
    organisation = _organisation(request, pk)
    roles = roles_manageable_by(request.user, organisation)
    people = organisation_people(organisation)
    form = RoleGiveForm(request.POST, roles=roles, people=people)
    if form.is_valid():
        user = get_object_or_404(get_user_model(), pk=form.cleaned_data["user"])
        try:
            services.membership_give(
                actor=request.user,
                organisation=organisation,
                user=user,
                role=form.cleaned_data["role"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The role has been given."))
            return redirect("people:organisation", pk=organisation.pk)
    return _render_people(request, organisation, give_form=form, status=400)


@login_required
@require_POST
def role_take(request, pk, membership_pk):
    organisation = _organisation(request, pk)
    membership = get_object_or_404(
        Membership.objects.select_related("user"), pk=membership_pk, organisation=organisation
    )
    try:
        services.membership_take(actor=request.user, membership=membership)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The role has been taken away."))
    return redirect("people:organisation", pk=organisation.pk)


@login_required
@require_POST
def invitation_revoke(request, pk, invitation_pk):
    organisation = _organisation(request, pk)
    invitation = get_object_or_404(Invitation, pk=invitation_pk, organisation=organisation)
    try:
        services.invitation_revoke(actor=request.user, invitation=invitation)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The invitation has been withdrawn."))
    return redirect("people:organisation", pk=organisation.pk)


@login_required
@require_POST
def ansattporten_set(request, pk):
    organisation = _organisation(request, pk)
    roles = roles_manageable_by(request.user, organisation)
    form = AnsattportenForm(request.POST, roles=roles)
    if form.is_valid():
        try:
            services.organisation_ansattporten_role_set(
                actor=request.user, organisation=organisation, role=form.cleaned_data["role"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The Ansattporten setting has been saved."))
    return redirect("people:organisation", pk=organisation.pk)


@login_required
@require_POST
def language_form_set(request, pk):
    """Record the organisation's written form (språklova § 11); audited by the service."""
    organisation = _organisation(request, pk)
    form = LanguageFormForm(request.POST)
    if form.is_valid():
        try:
            services.organisation_language_form_set(
                actor=request.user,
                organisation=organisation,
                language_form=language_form_value(form.cleaned_data["language_form"]),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("The written language form has been saved."))
            return redirect("people:organisation", pk=organisation.pk)
    return _render_people(request, organisation, language_form=form, status=400)


@login_required
@require_POST
def postal_address_set(request, pk):
    """Record the organisation's postal address (letters' address block); audited by the
    service. Bad input: the page again with the values kept and the errors."""
    organisation = _organisation(request, pk)
    form = PostalAddressForm(request.POST)
    if form.is_valid():
        try:
            services.organisation_postal_address_set(
                actor=request.user, organisation=organisation, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The postal address has been saved."))
            return redirect("people:organisation", pk=organisation.pk)
    return _render_people(request, organisation, address_form=form, status=400)


@never_cache
@require_http_methods(["GET", "POST"])
def invitation(request, token):
    """The link in the invitation email: log in, then accept."""
    found = services.invitation_find(token)
    if found is None:
        return render(request, "people/invitation.html", {"unknown": True}, status=404)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('login')}?next={request.path}")
        try:
            membership = services.invitation_accept(user=request.user, token=token)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(request.path)
        messages.success(
            request,
            _("Welcome: you now have the role %(role)s in %(organisation)s.")
            % {"role": membership.get_role_display(), "organisation": membership.organisation},
        )
        return redirect("home")
    return render(
        request,
        "people/invitation.html",
        {"invitation": found, "pending": found.is_pending(), "providers": configured_providers()},
    )
