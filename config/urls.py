from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from config import views

api_v1 = [
    path("legal/", include("legal.api.urls")),
    path("public/", include("trials.public.api.urls")),
    path("", include("trials.api.urls")),
    path("", include("workflows.case.api.urls")),
    path("", include("casework.people.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", views.ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("tilgjengelighet/", views.accessibility_statement, name="accessibility"),
    path("favicon.ico", views.favicon),
    path("", include("legal.urls")),
    path("", include("trials.public.register.urls")),
    path("", include("trials.portal.urls")),
    path("", include("casework.urls")),
    path("", include("casework.journal.urls")),
    path("", include("trials.public.urls")),
    path("", include("workflows.case.urls")),
    path("", include("workflows.access.urls")),
    path("", include("casework.identity.urls")),
    path("", include("casework.people.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(api_v1)),
    path("admin/", admin.site.urls),
]

handler404 = "casework.api.not_found"
