from django.urls import path

from trials import views

app_name = "trials"

urlpatterns = [
    path("mine-soknader/", views.application_list, name="application_list"),
    path("mine-soknader/<int:pk>/", views.application_detail, name="application_detail"),
]
