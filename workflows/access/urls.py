from django.urls import path

from workflows.access import views as access_views

app_name = "access_requests"

urlpatterns = [
    path("saksbehandling/innsyn/", access_views.access_request_list, name="list"),
    path("saksbehandling/innsyn/<int:pk>/", access_views.access_request_decide, name="decide"),
]
