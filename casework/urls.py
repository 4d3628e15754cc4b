from django.urls import path

from casework import views

app_name = "casework"

urlpatterns = [
    path("api-nokkel/", views.api_token, name="api_token"),
    path("api-nokkel/ny/", views.api_token_create, name="api_token_create"),
    path("api-nokkel/slett/", views.api_token_revoke, name="api_token_revoke"),
    path("varsler/", views.mail_preference, name="mail_preference"),
]
