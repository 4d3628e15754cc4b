from django.urls import path

from trials.portal import trial_views, views

app_name = "trials"

urlpatterns = [
    path("mine-soknader/", views.application_list, name="application_list"),
    path("mine-soknader/ny/", views.application_create, name="application_create"),
    path("mine-soknader/<int:pk>/", views.application_detail, name="application_detail"),
    path(
        "mine-soknader/<int:pk>/steg/<slug:step>/",
        views.application_step,
        name="application_step",
    ),
    path("mine-soknader/<int:pk>/unntak/ny/", views.exemption_create, name="exemption_create"),
    path(
        "mine-soknader/<int:pk>/unntak/<int:exemption_pk>/",
        views.exemption_edit,
        name="exemption_edit",
    ),
    path(
        "mine-soknader/<int:pk>/unntak/<int:exemption_pk>/slett/",
        views.exemption_delete,
        name="exemption_delete",
    ),
    path(
        "mine-soknader/<int:pk>/kontakter/<int:contact_pk>/slett/",
        views.contact_delete,
        name="contact_delete",
    ),
    path(
        "mine-soknader/<int:pk>/kvittering/", views.application_receipt, name="application_receipt"
    ),
    path("mine-soknader/<int:pk>/svar/", views.application_answer, name="application_answer"),
    path("mine-soknader/<int:pk>/trekk/", views.application_withdraw, name="application_withdraw"),
    path("mine-soknader/<int:pk>/kopier/", views.application_copy, name="application_copy"),
    path("mine-forsok/", trial_views.trial_list, name="trial_list"),
    path("mine-forsok/<int:pk>/", trial_views.trial_detail, name="trial_detail"),
    path("mine-forsok/<int:pk>/rapport/", trial_views.trial_report, name="trial_report"),
    path("mine-forsok/<int:pk>/forlengelse/", trial_views.trial_extension, name="trial_extension"),
    path(
        "mine-forsok/<int:pk>/forlengelse/<int:extension_pk>/vedtak/",
        trial_views.trial_extension_letter,
        name="trial_extension_letter",
    ),
    path("mine-soknader/fra-forsok/<int:pk>/", trial_views.trial_build_on, name="trial_build_on"),
    path("vedlegg/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("vedlegg/<int:pk>/slett/", views.attachment_delete, name="attachment_delete"),
]
