"""A line ministry's consultation answer letter is public only after the decision.

The answer is journaled when it arrives (the public journal lists that it exists), but its
document is released only when the case is decided and closed (offentleglova § 5): before,
no public page links it, its address answers 404 and the public API says it is postponed.
"""

import pytest
from django.urls import reverse

from casework.models import JournalDocument
from casework.selectors import PUBLIC_ONLY
from tests import builders
from tests.files import pdf_bytes, upload
from trials.choices import Position
from trials.letters import render_letter
from trials.models import Consultation
from workflows.case.services import task_complete

pytestmark = pytest.mark.django_db

SECRET = "ANSWER-LETTER-POSITION"


@pytest.fixture
def answered(publish, consultee):
    """An application whose line ministry (KD) answered with a letter; KDD has not decided."""
    application = publish(stop_at="consult")
    task = builders.open_task(application, "consult")
    consultation = Consultation.objects.get(pk=task.data["consultation"])
    task_complete(
        actor=consultee,
        task=task,
        payload={
            "positions": {
                e.pk: {"position": Position.SUPPORTS, "statement": ""}
                for e in consultation.exemptions.all()
            },
            "statement": "Departementet støttar forsøket.",
        },
        files={"attachment": upload("svar-fra-kd.pdf", pdf_bytes(SECRET))},
    )
    consultation.refresh_from_db()
    document = JournalDocument.objects.get(entry=consultation.answer_entry)
    return application, document


def _download(client, document):
    return client.get(reverse("journal:document", kwargs={"pk": document.pk}))


def test_answer_letter_is_not_public_before_the_decision(client, answered):
    application, document = answered
    url = reverse("journal:document", kwargs={"pk": document.pk})

    assert _download(client, document).status_code == 404
    page = client.get(reverse("public:application_detail", args=[application.reference]))
    assert page.status_code == 200
    assert url not in page.content.decode()
    assert "Offentlig etter vedtaket" in page.content.decode()
    journal = client.get(reverse("journal:list"))
    assert url not in journal.content.decode()
    public_only = client.get(reverse("journal:list"), {"basis": PUBLIC_ONLY})
    assert document.entry.public_title not in public_only.content.decode()

    api = client.get(reverse("public_api:journal-list"), {"number": document.entry.journal_number})
    assert api.status_code == 200
    (row,) = [
        r for r in api.json()["results"] if r["journal_number"] == document.entry.journal_number
    ]
    assert row["is_public"] is False
    assert row["access_postponed"] is True


def test_answer_letter_is_released_with_the_decision(client, answered, staff):
    application, document = answered
    builders.advance(application, to="decided", staff=staff)

    response = _download(client, document)
    assert response.status_code == 200
    assert SECRET.encode() in b"".join(response.streaming_content)
    page = client.get(reverse("public:application_detail", args=[application.reference]))
    assert reverse("journal:document", kwargs={"pk": document.pk}) in page.content.decode()


def test_an_answer_without_a_letter_is_journaled_with_a_generated_one(
    client, publish, consultee, staff, run_tasks
):
    application = publish(stop_at="consult")
    task = builders.open_task(application, "consult")
    consultation = Consultation.objects.get(pk=task.data["consultation"])
    task_complete(
        actor=consultee,
        task=task,
        payload={
            "positions": {
                e.pk: {
                    "position": Position.SUPPORTS_WITH_CONDITIONS,
                    "statement": "Rapport hvert halvaar",
                }
                for e in consultation.exemptions.all()
            },
            "statement": "Ingen flere merknader",
        },
        files={},
    )
    consultation.refresh_from_db()
    entry = consultation.answer_entry
    assert entry.access_postponed
    document = entry.documents.get()
    assert document.is_main and document.content_type == "application/pdf"
    assert not document.file  # rendered by the letter task, off the request
    run_tasks()
    document.refresh_from_db()
    content = document.file.open("rb").read()
    assert content.startswith(b"%PDF")
    assert b"<pdfaid:part>2</pdfaid:part>" in content
    # the letter says what the ministry said (the PDF's text is in subset fonts: read the
    # letter the task rendered from the same template)
    letter = render_letter(
        "consultation_answer",
        {
            "application": application,
            "consultation": consultation,
            "answers": list(consultation.answers.select_related("exemption")),
            "answered_by": consultee.get_full_name(),
        },
        language=consultation.ministry.letter_language,
    )
    text = " ".join(text for _style, text in letter.paragraphs)
    assert "Rapport hvert halvaar" in text and "Ingen flere merknader" in text
    assert _download(client, document).status_code == 404  # not public before the decision
    builders.advance(application, to="decided", staff=staff)
    assert _download(client, document).status_code == 200
