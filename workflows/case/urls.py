from django.urls import path

from workflows.case import views
from workflows.trial import views as trial_views

app_name = "workflows"

urlpatterns = [
    path("saksbehandling/", views.inbox, name="inbox"),
    path("saksbehandling/team/", views.team, name="team"),
    path("saksbehandling/team/<int:task_pk>/", views.team_reassign, name="team_reassign"),
    path("saksbehandling/oppgaver/<int:task_pk>/", views.task_execute, name="task"),
    path("saksbehandling/oppgaver/<int:task_pk>/ta/", views.task_claim, name="task_claim"),
    path(
        "saksbehandling/oppgaver/<int:task_pk>/legg-tilbake/",
        views.task_unassign,
        name="task_unassign",
    ),
    path(
        "saksbehandling/oppgaver/<int:task_pk>/tildel/",
        views.task_reassign,
        name="task_reassign",
    ),
    path("saksbehandling/saker/<int:application_pk>/", views.case_detail, name="case"),
    path(
        "saksbehandling/forlengelser/<int:extension_pk>/",
        views.extension_case_detail,
        name="extension_case",
    ),
    path("saksbehandling/forsok/", trial_views.trial_list, name="trials"),
    path("saksbehandling/forsok/<int:pk>/", trial_views.trial_detail, name="trial"),
    path(
        "saksbehandling/forsok/<int:pk>/rapporter/<int:report_pk>/",
        trial_views.report_answer,
        name="trial_report",
    ),
    path(
        "saksbehandling/forsok/<int:pk>/oppgaver/<int:task_pk>/",
        trial_views.overdue_followed_up,
        name="trial_task",
    ),
    path(
        "saksbehandling/forsok/<int:pk>/<slug:action>/",
        trial_views.trial_action,
        name="trial_action",
    ),
    path(
        "saksbehandling/saker/<int:application_pk>/journal/<int:entry_pk>/skjerming/",
        views.journal_entry_screening,
        name="journal_entry_screening",
    ),
    path("saksbehandling/saker/<int:pk>/vedtak/", views.decision_letter, name="decision_letter"),
    path(
        "saksbehandling/saker/<int:application_pk>/brev/<int:document_pk>/",
        views.case_letter,
        name="case_letter",
    ),
    path(
        "saksbehandling/journal/dokument/<int:pk>/",
        views.journal_document,
        name="journal_document",
    ),
    path("saksbehandling/soknadsrunder/<int:call_pk>/", views.call_batch, name="call_batch"),
    path(
        "mine-soknader/<int:pk>/vedtak/",
        views.applicant_decision_letter,
        name="applicant_decision_letter",
    ),
    path(
        "mine-soknader/<int:pk>/brev/<int:document_pk>/",
        views.applicant_letter,
        name="applicant_letter",
    ),
]
