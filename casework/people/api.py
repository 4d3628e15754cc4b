"""The people of an organisation over REST: the same selectors and services as the pages.

An organisation the caller does not manage answers 404; a role they may not give, 403
(``PermissionDenied`` from the service, mapped by the project's exception handler).
"""

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.utils.translation import get_language
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from casework import services
from casework.choices import Role
from casework.models import Invitation, Membership
from casework.selectors import organisation_people, organisations_managed_by, roles_manageable_by

TAGS = ["people"]


class MembershipSerializer(serializers.ModelSerializer):
    class Meta:
        model = Membership
        fields = ["id", "role", "created_at"]


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user.pk")
    username = serializers.CharField(source="user.username")
    name = serializers.CharField(source="user.get_full_name")
    email = serializers.EmailField(source="user.email")
    memberships = MembershipSerializer(many=True)


class InvitationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "created_at", "expires_at"]


class PeopleSerializer(serializers.Serializer):
    organisation = serializers.IntegerField()
    manageable_roles = serializers.ListField(child=serializers.ChoiceField(Role.choices))
    people = PersonSerializer(many=True)
    invitations = InvitationSerializer(many=True)


class InvitationInputSerializer(serializers.Serializer):
    email = serializers.EmailField()
    role = serializers.ChoiceField(Role.choices)


class MembershipInputSerializer(serializers.Serializer):
    user = serializers.IntegerField(help_text="Id of a person of the organisation.")
    role = serializers.ChoiceField(Role.choices)


def _organisation(request, pk):
    return get_object_or_404(organisations_managed_by(request.user), pk=pk)


class PeopleView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Who has access to an organisation",
        description="Everyone with a role there, and the open invitations. Only for its "
        "administrators (and KDD's); others get 404.",
        responses={200: PeopleSerializer},
    )
    def get(self, request, pk):
        organisation = _organisation(request, pk)
        data = {
            "organisation": organisation.pk,
            "manageable_roles": [r.value for r in roles_manageable_by(request.user, organisation)],
            "people": organisation_people(organisation),
            "invitations": Invitation.objects.pending().filter(organisation=organisation),
        }
        return Response(PeopleSerializer(data).data)


class InvitationListView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Invite someone by email",
        description="Sends the invitation email; accepted by opening its link and logging in, "
        "within 14 days. 403 for a role the caller may not give there.",
        request=InvitationInputSerializer,
        responses={201: InvitationSerializer, 403: OpenApiResponse(description="Role refused")},
    )
    def post(self, request, pk):
        organisation = _organisation(request, pk)
        payload = InvitationInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        issued = services.invitation_create(
            actor=request.user,
            organisation=organisation,
            email=payload.validated_data["email"],
            role=payload.validated_data["role"],
            language=get_language() or "nb",
        )
        return Response(InvitationSerializer(issued.invitation).data, status.HTTP_201_CREATED)


class InvitationDetailView(APIView):
    @extend_schema(tags=TAGS, summary="Withdraw an open invitation", responses={204: None})
    def delete(self, request, pk, invitation_pk):
        organisation = _organisation(request, pk)
        invitation = get_object_or_404(Invitation, pk=invitation_pk, organisation=organisation)
        services.invitation_revoke(actor=request.user, invitation=invitation)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MembershipListView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Give a person of the organisation a role",
        description="Newcomers are invited instead. 403 for a role the caller may not give.",
        request=MembershipInputSerializer,
        responses={201: MembershipSerializer},
    )
    def post(self, request, pk):
        organisation = _organisation(request, pk)
        payload = MembershipInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        user = get_object_or_404(get_user_model(), pk=payload.validated_data["user"])
        membership = services.membership_give(
            actor=request.user,
            organisation=organisation,
            user=user,
            role=payload.validated_data["role"],
        )
        return Response(MembershipSerializer(membership).data, status.HTTP_201_CREATED)


class MembershipDetailView(APIView):
    @extend_schema(tags=TAGS, summary="Take a role away", responses={204: None})
    def delete(self, request, pk, membership_pk):
        organisation = _organisation(request, pk)
        membership = get_object_or_404(Membership, pk=membership_pk, organisation=organisation)
        services.membership_take(actor=request.user, membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LanguageFormSerializer(serializers.Serializer):
    language_form = serializers.ChoiceField(
        choices=["nb", "nn", "neutral"],
        help_text="nb (bokmål), nn (nynorsk) or neutral (no choice: the case officer chooses "
        "the form of each letter). An organisation that recorded none is neutral.",
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=300, write_only=True
    )


def _language_form_data(organisation) -> dict:
    return {"language_form": organisation.language_form or "neutral"}


class LanguageFormView(APIView):
    """The organisation's written language form (språklova § 11)."""

    @extend_schema(
        tags=TAGS,
        summary="The organisation's written language form",
        responses={200: LanguageFormSerializer},
    )
    def get(self, request, pk):
        return Response(_language_form_data(_organisation(request, pk)))

    @extend_schema(
        tags=TAGS,
        summary="Record the organisation's written language form",
        description="For its administrators and KDD's; every change is in the audit trail. "
        "Letters from the ministry are written in the recorded form.",
        request=LanguageFormSerializer,
        responses={200: LanguageFormSerializer},
    )
    def put(self, request, pk):
        organisation = _organisation(request, pk)
        payload = LanguageFormSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        choice = payload.validated_data["language_form"]
        organisation = services.organisation_language_form_set(
            actor=request.user,
            organisation=organisation,
            language_form="" if choice == "neutral" else choice,
            reason=payload.validated_data.get("reason", ""),
        )
        return Response(_language_form_data(organisation))
