"""The exemption register and the statistics (included at the site root)."""

from django.urls import path

from trials.public.register import views as register_views

app_name = "register"

urlpatterns = [
    path("unntak/", register_views.register_overview, name="overview"),
    path("unntak/<str:lovdata_id>/", register_views.register_act, name="act"),
    path("statistikk/", register_views.statistics, name="statistics"),
]
