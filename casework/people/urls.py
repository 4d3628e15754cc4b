from django.urls import path

from casework.people import views

app_name = "people"

urlpatterns = [
    path("organisasjon/", views.organisation_list, name="organisation_list"),
    path("organisasjon/<int:pk>/", views.organisation_detail, name="organisation"),
    path("organisasjon/<int:pk>/inviter/", views.invitation_create, name="invite"),
    path("organisasjon/<int:pk>/roller/", views.role_give, name="role_give"),
    path(
        "organisasjon/<int:pk>/roller/<int:membership_pk>/fjern/",
        views.role_take,
        name="role_take",
    ),
    path(
        "organisasjon/<int:pk>/invitasjoner/<int:invitation_pk>/trekk/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("organisasjon/<int:pk>/ansattporten/", views.ansattporten_set, name="ansattporten"),
    path("organisasjon/<int:pk>/maalform/", views.language_form_set, name="language_form"),
    path("organisasjon/<int:pk>/postadresse/", views.postal_address_set, name="postal_address"),
    path("invitasjon/<str:token>/", views.invitation, name="invitation"),
]
