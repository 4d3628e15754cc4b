"""Tasks of the case process, run by the worker."""

from django.db import transaction
from django_tasks import task

from casework.choices import Role
from casework.models import Membership
from casework.services import mail_enqueue
from trials.models import Consultation


@task()
def consultation_reminder_fan_out(consultation_id: int, event: int) -> int:
    """Queue the reminder to each consultee of the ministry; run twice, still one each."""
    consultation = Consultation.objects.select_related("application", "ministry").get(
        pk=consultation_id
    )
    people = (
        Membership.objects.filter(organisation=consultation.ministry, role=Role.CONSULTEE)
        .exclude(user__email="")
        .values_list("user_id", "user__email")
        .order_by("user_id")
    )
    with transaction.atomic():
        for user_id, email in people:
            mail_enqueue(
                key=f"consultation/{consultation.pk}/reminder/{event}/{user_id}",
                renderer="workflows.case.notifications.consultation_reminder_email",
                params={"consultation_id": consultation.pk, "email": email},
                target=consultation.application,
                organisation=consultation.ministry,
            )
    return len(people)


@task()
def task_announce(task_id: int) -> None:
    """Mail the people a new task of the case process gives work (the line ministry's
    consultees, the approvers, the officer of a passed deadline), or hold it for their
    digest; queued by the step that created the task. Idempotent: one mail per person."""
    from workflows.case.notifications import task_announce_run

    with transaction.atomic():
        task_announce_run(task_id)
