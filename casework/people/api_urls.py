from django.urls import path

from casework.people import api

urlpatterns = [
    path(
        "organisations/<int:pk>/language-form/",
        api.LanguageFormView.as_view(),
        name="api-language-form",
    ),
    path("organisations/<int:pk>/people/", api.PeopleView.as_view(), name="api-people"),
    path(
        "organisations/<int:pk>/invitations/",
        api.InvitationListView.as_view(),
        name="api-invitations",
    ),
    path(
        "organisations/<int:pk>/invitations/<int:invitation_pk>/",
        api.InvitationDetailView.as_view(),
        name="api-invitation",
    ),
    path(
        "organisations/<int:pk>/memberships/",
        api.MembershipListView.as_view(),
        name="api-memberships",
    ),
    path(
        "organisations/<int:pk>/memberships/<int:membership_pk>/",
        api.MembershipDetailView.as_view(),
        name="api-membership",
    ),
]
