"""Public URLs of casework: the journal and access requests (included at the site root)."""

from django.urls import path

from casework.journal import views as public_views

app_name = "journal"

urlpatterns = [
    path("journal/", public_views.journal_list, name="list"),
    path("journal/dokument/<int:pk>/", public_views.journal_document, name="document"),
    path("innsyn/", public_views.access_request, name="access_request"),
    path(
        "innsyn/kvittering/<str:token>/",
        public_views.access_request_receipt,
        name="access_request_receipt",
    ),
]
