"""The public side's addresses (Norwegian paths), namespace ``public``.

``lover/<lovdata_id>/feed/`` lies inside the law register's URL space but cannot clash with
its ``lover/<lovdata_id>/``: a path converter never matches a slash.
"""

from django.urls import path, re_path

from trials.public import feeds
from trials.public import views as public_views
from trials.public.trials import views as trial_views

app_name = "public"

NUMBER = r"(?P<number>\d{4}|\d{2})"

urlpatterns = [
    path("soknader/", public_views.application_list, name="application_list"),
    path("soknader/feed/nye/", feeds.new_applications, name="feed_new"),
    path("soknader/feed/vedtak/", feeds.decisions, name="feed_decisions"),
    path("soknader/<str:reference>/", public_views.application_detail, name="application_detail"),
    re_path(rf"^kommuner/{NUMBER}/$", public_views.municipality, name="municipality"),
    re_path(rf"^kommuner/{NUMBER}/feed/$", feeds.organisation, name="feed_municipality"),
    path("lover/<str:lovdata_id>/feed/", feeds.act, name="feed_act"),
    path("forsok/", trial_views.trial_list, name="trial_list"),
    path("forsok/feed/", trial_views.trial_feed, name="trial_feed"),
    path("forsok/<int:pk>/", trial_views.trial_detail, name="trial_detail"),
]
