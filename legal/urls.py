from django.urls import path

from legal import views

app_name = "legal"

urlpatterns = [
    path("lover/", views.act_list, name="act_list"),
    path("lover/<str:lovdata_id>/", views.act_detail, name="act_detail"),
]
