"""Emails to people who asked for access (innsynskrav) and to people invited to a role. The
services queue them
(``casework.services.mail_enqueue``); the mail task calls these renderers and sends."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from casework.choices import AccessRequestStatus
from casework.models import AccessRequest, JournalDocument
from casework.selectors import journal_document_file, journal_document_is_public

# Larger files are offered as links (public documents) or sent another way.
MAX_ATTACHMENT_BYTES = 15 * 1024 * 1024


def _access_request(pk: int) -> AccessRequest:
    return AccessRequest.objects.select_related("entry__case", "decided_by").get(pk=pk)


def _message(
    access_request: AccessRequest, template: str, context: dict, attachments=()
) -> EmailMessage:
    with translation.override(access_request.language or "nb"):
        context = {
            "access_request": access_request,
            "entry": access_request.entry,
            "site_url": settings.SITE_URL.rstrip("/"),
            **context,
        }
        subject = render_to_string(f"casework/email/{template}_subject.txt", context, using="text")
        body = render_to_string(f"casework/email/{template}.txt", context, using="text")
    message = EmailMessage(
        " ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, [access_request.email]
    )
    for filename, content, content_type in attachments:
        message.attach(filename, content, content_type or "application/octet-stream")
    return message


def access_request_receipt(access_request_id: int) -> EmailMessage:
    return _message(_access_request(access_request_id), "access_request_receipt", {})


def access_request_decision(access_request_id: int, document_ids: list[int]) -> EmailMessage:
    """The decision; a grant carries the released documents as attachments, public ones
    also as links to the journal, those too large to attach as a line saying so."""
    access_request = _access_request(access_request_id)
    if access_request.status == AccessRequestStatus.REFUSED:
        return _message(access_request, "access_request_refused", {})
    documents = JournalDocument.objects.filter(pk__in=document_ids).select_related("entry")
    listed, attachments, budget = [], [], MAX_ATTACHMENT_BYTES
    for document in documents:
        found = journal_document_file(document)
        link = ""
        if journal_document_is_public(document):
            link = settings.SITE_URL.rstrip("/") + reverse("journal:document", args=[document.pk])
        attached = False
        if found is not None:
            try:
                with found.file.open("rb") as handle:
                    content = handle.read(budget + 1)
            except FileNotFoundError:
                content = None
            if content is not None and len(content) <= budget:
                attachments.append((found.filename, content, found.content_type))
                budget -= len(content)
                attached = True
        listed.append({"title": document.title, "link": link, "attached": attached})
    return _message(access_request, "access_request_granted", {"documents": listed}, attachments)


def invitation_mail(invitation_id: int, token: str, language: str = "nb") -> EmailMessage:
    """The invitation, with the link that accepts it (its token exists only here and in the
    link: the database keeps a digest)."""
    from casework.models import Invitation

    invitation = Invitation.objects.select_related("organisation", "invited_by").get(
        pk=invitation_id
    )
    with translation.override(language or "nb"):
        context = {
            "invitation": invitation,
            "organisation": invitation.organisation,
            "role": invitation.get_role_display(),
            "link": settings.SITE_URL.rstrip("/") + reverse("people:invitation", args=[token]),
        }
        subject = render_to_string("casework/email/invitation_subject.txt", context, using="text")
        body = render_to_string("casework/email/invitation.txt", context, using="text")
    return EmailMessage(
        " ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, [invitation.email]
    )


# --- mails to staff about work waiting for them -------------------------------------------------


def wants_digest(user) -> bool:
    """The person holds mail about work for a daily digest; a user read with
    ``wants_digest_annotation()`` as ``wants_digest`` answers without a query."""
    from casework.models import MailPreference

    annotated = getattr(user, "wants_digest", None)
    if annotated is not None:
        return annotated
    return MailPreference.objects.filter(user=user, daily_digest=True).exists()


def wants_digest_annotation():
    """``wants_digest`` of each user of a query, in that query: ``.annotate(wants_digest=...)``."""
    from django.db.models import Exists, OuterRef

    from casework.models import MailPreference

    return Exists(MailPreference.objects.filter(user=OuterRef("pk"), daily_digest=True))


def work_email(user_id: int, subject: str, body: str) -> EmailMessage | None:
    """The outbox's renderer for a mail about work (``mail_person``), read in the task."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return None
    return EmailMessage(" ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, [user.email])


def mail_person(user, subject: str, body: str, *, key: str | None = None) -> None:
    """A mail about work to one person: queued in the outbox (sent by a task, retried, never
    lost when the mail server is down), or held for their daily digest. ``key`` names the
    event for this person: queued again (a task run twice), it is not queued twice."""
    import uuid

    from casework.services import digest_item_add, mail_enqueue

    if not user.email or not user.is_active:
        return
    if wants_digest(user):
        digest_item_add(user=user, subject=subject, body=body, key=key or "")
        return
    mail_enqueue(
        key=key or f"work/{user.pk}/{uuid.uuid4().hex}",
        renderer="casework.notifications.work_email",
        params={"user_id": user.pk, "subject": subject, "body": body},
        new_key=key is None,
    )


def send_digests() -> int:
    """One mail per person with the items held back since their last digest; returns how many
    mails went out. Each person's items are locked while sent (SKIP LOCKED on PostgreSQL), so
    two hosts running it at once never send the same item twice."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from casework.models import DigestItem
    from casework.services import digest_mark_sent

    sent = 0
    user_ids = (
        DigestItem.objects.filter(sent_at__isnull=True).values_list("user_id", flat=True).distinct()
    )
    for user in get_user_model().objects.filter(pk__in=list(user_ids), is_active=True):
        with transaction.atomic():
            items = list(
                DigestItem.objects.select_for_update(skip_locked=True)
                .filter(user=user, sent_at__isnull=True)
                .order_by("created_at", "pk")
            )
            if not items or not user.email:
                continue
            with translation.override("nb"):
                context = {"items": items, "user": user}
                subject = render_to_string(
                    "casework/email/digest_subject.txt", context, using="text"
                )
                body = render_to_string("casework/email/digest.txt", context, using="text")
            EmailMessage(
                " ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, [user.email]
            ).send()
            digest_mark_sent(items=items)
            sent += 1
    return sent
