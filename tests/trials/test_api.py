"""The applications REST API: drafts, exemption requests, attachments, transitions, errors,
token authentication, and that one municipality never reaches another's applications."""

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from casework.choices import Role
from casework.models import ApiKey, AuditEvent, Organisation
from casework.services import api_token_create
from tests.builders import OPPL_13_1
from tests.factories import municipality, person
from tests.files import pdf_bytes, upload
from trials import selectors, services
from trials.choices import ApplicationStatus, AttachmentKind, Stage
from trials.models import Application, ExemptionRequest
from trials.rules import MAX_CO_APPLICANTS, MAX_PERIOD_MONTHS

pytestmark = pytest.mark.django_db

APPLICATIONS = "/api/v1/applications/"
CONFLICT = "Someone else changed this application. Reload and try again."


def detail(application) -> str:
    return f"{APPLICATIONS}{application.pk}/"


def exemptions(application) -> str:
    return f"{detail(application)}exemption-requests/"


def attachments(application) -> str:
    return f"{detail(application)}attachments/"


def as_user(user=None) -> APIClient:
    """An API client logged in as ``user`` (session), reading English messages."""
    client = APIClient()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if user is not None:
        client.force_login(user)
    return client


def references(response) -> list[str]:
    return [item["reference"] for item in response.json()["results"]]


@pytest.fixture
def api(applicant):
    return as_user(applicant)


@pytest.fixture
def hamar():
    return municipality("3403")


@pytest.fixture
def hamar_applicant(hamar):
    return person(hamar, Role.APPLICANT, "per.hamar", first_name="Per")


@pytest.fixture
def draft(make_draft):
    return make_draft(title="Team leaders decide on bortvising")


@pytest.fixture
def call(kdd, case_officer):
    today = timezone.localdate()
    return services.call_create(
        actor=case_officer,
        title="Søknadsrunde 2026",
        description="",
        opens_on=today - datetime.timedelta(days=10),
        closes_on=today + datetime.timedelta(days=60),
        stage=Stage.PRELIMINARY,
        owner=kdd,
    )


def new_draft_payload(**extra):
    return {
        "lead_organisation": "3405",
        "title": "Team leaders decide on bortvising",
        "stage": "preliminary",
        "description": "Two schools take part.",
        "categories": ["a", "b"],
        "period_months": 24,
        "requested_start": (timezone.localdate() + datetime.timedelta(days=90)).isoformat(),
        **extra,
    }


# --- create ---------------------------------------------------------------------------------


def test_applicant_creates_a_draft_with_co_applicants_and_purposes(api, applicant, hamar, call):
    payload = new_draft_payload(
        call=call.pk,
        co_applicants=["3403"],
        purposes=[{"purpose": "services", "justification": "Closer follow-up of pupils."}],
    )
    response = api.post(APPLICATIONS, payload, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    application = Application.objects.get(pk=body["id"])
    assert body["reference"] == application.reference
    assert body["reference"].startswith("FRI-")
    assert body["status"] == "draft"
    assert body["status_label"] == "Draft"
    assert body["stage"] == "preliminary"
    assert body["call"] == call.pk
    assert body["lead_organisation"] == {"number": "3405", "name": "Lillehammer"}
    assert body["co_applicants"] == [{"number": "3403", "name": "Hamar"}]
    assert body["categories"] == ["a", "b"]
    assert body["period_months"] == 24
    assert body["purposes"] == [
        {
            "purpose": "services",
            "purpose_label": "Better services to citizens",
            "justification": "Closer follow-up of pupils.",
        }
    ]
    assert body["exemption_requests"] == []
    assert body["attachments"] == []
    assert body["allowed_actions"] == ["submit", "withdraw"]
    assert application.created_by == applicant
    assert list(application.co_applicants.all()) == [hamar]
    assert set(
        AuditEvent.objects.filter(object_id=str(application.pk)).values_list("action", flat=True)
    ) >= {"application.created", "application.co_applicants_set", "application.purposes_set"}


def test_create_needs_only_lead_organisation_and_title(api):
    response = api.post(APPLICATIONS, {"lead_organisation": "3405", "title": "Kort"}, format="json")
    assert response.status_code == 201
    assert response.json()["stage"] == "preliminary"


def test_create_for_another_municipality_is_forbidden(api):
    response = api.post(APPLICATIONS, new_draft_payload(lead_organisation="1804"), format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "You cannot apply on behalf of this organisation."}
    assert not Application.objects.exists()


def test_create_refuses_unknown_organisation_numbers(api):
    response = api.post(
        APPLICATIONS,
        new_draft_payload(lead_organisation="9999", co_applicants=["0000"]),
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"lead_organisation", "co_applicants"}


@pytest.mark.parametrize("months", [0, MAX_PERIOD_MONTHS + 1])
def test_a_period_outside_the_law_is_a_400_and_nothing_is_created(api, months):
    response = api.post(APPLICATIONS, new_draft_payload(period_months=months), format="json")
    assert response.status_code == 400
    assert response.json() == {
        "period_months": [f"The period must be between 1 and {MAX_PERIOD_MONTHS} months."]
    }
    assert not Application.objects.exists()


def test_service_field_errors_become_400_and_nothing_is_created(api):
    response = api.post(APPLICATIONS, new_draft_payload(categories=["a", "e"]), format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["categories"]
    assert not Application.objects.exists()


def test_a_failing_purpose_rolls_back_the_whole_create(api):
    payload = new_draft_payload(
        purposes=[
            {"purpose": "services", "justification": "Ok"},
            {"purpose": "services", "justification": "Twice"},
        ]
    )
    response = api.post(APPLICATIONS, payload, format="json")
    assert response.status_code == 400
    assert "purposes" in response.json()
    assert not Application.objects.exists()


def test_case_officer_cannot_create_applications(case_officer):
    response = as_user(case_officer).post(APPLICATIONS, new_draft_payload(), format="json")
    assert response.status_code == 403
    assert not Application.objects.exists()


def test_anonymous_visitors_get_nothing(draft):
    client = as_user()
    assert client.get(APPLICATIONS).status_code == 401
    assert client.get(detail(draft)).status_code == 401
    assert client.get(exemptions(draft)).status_code == 401
    assert client.post(APPLICATIONS, new_draft_payload(), format="json").status_code == 401
    assert not Application.objects.exclude(pk=draft.pk).exists()


# --- list and retrieve ----------------------------------------------------------------------


def test_list_shows_own_applications_with_filters(
    api, applicant, make_draft, make_ready, call, bodo, bodo_applicant
):
    preliminary = make_draft(title="Forhåndssøknad", call=call)
    final = make_draft(title="Endelig søknad", stage=Stage.FINAL)
    submitted = make_ready(title="Innsendt")
    services.application_submit(actor=applicant, application=submitted)
    make_draft(actor=bodo_applicant, organisation=bodo, title="Bodøs søknad", call=call)

    response = api.get(APPLICATIONS)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert set(references(response)) == {
        preliminary.reference,
        final.reference,
        submitted.reference,
    }
    first = body["results"][0]
    assert set(first) >= {"id", "reference", "title", "status", "status_label", "stage"}

    assert references(api.get(APPLICATIONS, {"status": "submitted"})) == [submitted.reference]
    assert set(references(api.get(APPLICATIONS, {"status": "draft"}))) == {
        preliminary.reference,
        final.reference,
    }
    assert references(api.get(APPLICATIONS, {"stage": "final"})) == [final.reference]
    assert references(api.get(APPLICATIONS, {"call": call.pk})) == [preliminary.reference]
    assert references(api.get(APPLICATIONS, {"stage": "preliminary", "status": "submitted"})) == [
        submitted.reference
    ]
    assert api.get(APPLICATIONS, {"status": "nonsense"}).status_code == 400


def test_co_applicants_see_the_application_but_cannot_change_it(
    draft, applicant, hamar, hamar_applicant
):
    services.application_set_co_applicants(
        actor=applicant, application=draft, organisations=[hamar]
    )
    client = as_user(hamar_applicant)
    assert references(client.get(APPLICATIONS)) == [draft.reference]
    response = client.get(detail(draft))
    assert response.status_code == 200
    assert response.json()["allowed_actions"] == []
    response = client.patch(detail(draft), {"title": "Hamar's title"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "Only the lead applicant can change the draft."
    assert client.post(f"{detail(draft)}submit/").status_code == 403


def test_retrieve_shows_everything_and_the_allowed_actions(api, make_ready, media_root):
    application = make_ready()
    response = api.get(detail(application))
    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == application.reference
    assert body["allowed_actions"] == ["submit", "withdraw"]
    assert body["description"] == application.description
    assert body["requested_start"] == application.requested_start.isoformat()
    [summary] = body["exemption_requests"]
    assert summary["provision"] == OPPL_13_1
    assert summary["label"] == "opplæringslova § 13-1"
    assert summary["is_resolved"] is True
    assert summary["status"] == "requested"
    [contact] = body["contacts"]
    assert contact["email"] == "kontakt@3405.kommune.example"
    assert contact["organisation"] == {"number": "3405", "name": "Lillehammer"}
    assert [p["purpose"] for p in body["purposes"]] == ["services"]
    assert body["information_requests"] == []


def test_case_officers_see_submitted_applications_but_not_drafts(
    applicant, case_officer, make_draft, make_ready
):
    hidden = make_draft(title="Utkast")
    submitted = make_ready()
    services.application_submit(actor=applicant, application=submitted)
    client = as_user(case_officer)
    assert references(client.get(APPLICATIONS)) == [submitted.reference]
    response = client.get(detail(submitted))
    assert response.status_code == 200
    assert response.json()["allowed_actions"] == []
    assert client.get(detail(hidden)).status_code == 404


def test_unknown_and_malformed_ids_are_not_found(api):
    assert api.get(f"{APPLICATIONS}999999/").status_code == 404
    assert api.get(f"{APPLICATIONS}abc/").status_code == 404
    assert api.get(f"{APPLICATIONS}abc/exemption-requests/").status_code == 404


# --- update ---------------------------------------------------------------------------------


def test_patch_changes_a_draft(api, draft, hamar):
    response = api.patch(
        detail(draft),
        {
            "summary": "Short",
            "period_months": 12,
            "co_applicants": ["3403"],
            "purposes": [{"purpose": "democracy", "justification": "More local say."}],
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["summary"] == "Short"
    assert body["period_months"] == 12
    assert body["title"] == draft.title
    assert body["co_applicants"] == [{"number": "3403", "name": "Hamar"}]
    assert [p["purpose"] for p in body["purposes"]] == ["democracy"]
    draft.refresh_from_db()
    assert draft.summary == "Short"
    assert list(draft.co_applicants.all()) == [hamar]


def test_put_needs_the_title(api, draft):
    assert api.put(detail(draft), {"summary": "x"}, format="json").status_code == 400
    response = api.put(
        detail(draft), {"title": "New title", "description": "Described"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["title"] == "New title"
    assert response.json()["description"] == "Described"


def test_patch_refuses_an_invalid_period(api, draft):
    response = api.patch(detail(draft), {"period_months": MAX_PERIOD_MONTHS + 1}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["period_months"]
    response = api.patch(detail(draft), {"period_months": MAX_PERIOD_MONTHS}, format="json")
    assert response.status_code == 200


def _numbers(count: int) -> list[str]:
    local = Organisation.objects.active().local_governments().exclude(number="3405")
    return list(local.values_list("number", flat=True)[:count])


def test_the_co_applicant_cap_holds_in_the_api(api, draft):
    message = f"A joint application can have at most {MAX_CO_APPLICANTS} co-applicants."
    response = api.post(
        APPLICATIONS,
        new_draft_payload(co_applicants=_numbers(MAX_CO_APPLICANTS + 1)),
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"co_applicants": [message]}
    assert list(Application.objects.all()) == [draft]
    response = api.patch(
        detail(draft),
        {"summary": "Changed", "co_applicants": _numbers(MAX_CO_APPLICANTS + 1)},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"co_applicants": [message]}
    draft.refresh_from_db()
    assert draft.summary == "" and not draft.co_applicants.exists()
    response = api.patch(
        detail(draft), {"co_applicants": _numbers(MAX_CO_APPLICANTS)}, format="json"
    )
    assert response.status_code == 200
    assert len(response.json()["co_applicants"]) == MAX_CO_APPLICANTS


@pytest.mark.parametrize(
    "purposes",
    [
        "democracy",
        {"purpose": "democracy", "justification": "More local say."},
        [{"purpose": "democracy"}],
        [{"justification": "More local say."}],
        [{"purpose": "democracy", "justification": " "}],
        [{"purpose": "nonsense", "justification": "More local say."}],
        [["democracy", "More local say."]],
        [
            {"purpose": "democracy", "justification": "More local say."},
            {"purpose": "democracy", "justification": "Twice."},
        ],
        None,
    ],
)
@pytest.mark.parametrize("method", ["post", "patch"])
def test_malformed_purposes_are_a_400_and_change_nothing(api, draft, method, purposes):
    if method == "post":
        response = api.post(APPLICATIONS, new_draft_payload(purposes=purposes), format="json")
    else:
        response = api.patch(
            detail(draft), {"title": "Changed", "purposes": purposes}, format="json"
        )
    assert response.status_code == 400
    assert list(response.json()) == ["purposes"]
    assert list(Application.objects.all()) == [draft]
    draft.refresh_from_db()
    assert draft.title == "Team leaders decide on bortvising"
    assert not draft.purposes.exists()


def test_patch_after_submit_is_forbidden(api, applicant, make_ready):
    application = make_ready()
    services.application_submit(actor=applicant, application=application)
    response = api.patch(detail(application), {"title": "Too late"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "Only a draft can be changed."}
    assert api.put(detail(application), {"title": "Too late"}, format="json").status_code == 403
    application.refresh_from_db()
    assert application.title != "Too late"


def test_a_change_behind_the_users_back_is_a_conflict(api, make_ready, applicant, monkeypatch):
    """The draft is loaded, then submitted elsewhere before the change is saved."""
    draft = make_ready(title="Team leaders decide on bortvising")
    load = selectors.application_get_for_user

    def load_then_someone_else_submits(user, pk):
        application = load(user, pk)
        services.application_submit(actor=applicant, application=Application.objects.get(pk=pk))
        return application

    monkeypatch.setattr(selectors, "application_get_for_user", load_then_someone_else_submits)
    response = api.patch(detail(draft), {"title": "Mine"}, format="json")
    assert response.status_code == 409
    assert response.json() == {"detail": CONFLICT}
    monkeypatch.undo()
    assert Application.objects.get(pk=draft.pk).title == draft.title


# --- exemption requests ---------------------------------------------------------------------


def test_exemption_request_by_citation_key(api, draft):
    response = api.post(
        exemptions(draft),
        {
            "provision": OPPL_13_1,
            "current_rule": "Only the headteacher decides.",
            "proposed_arrangement": "The team leader decides for one day.",
            "justification": "Faster decisions.",
            "consequences": "None for the pupil's rights.",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["provision"] == OPPL_13_1
    assert body["act"] == "LOV-2023-06-09-30"
    assert body["act_short_title"] == "opplæringslova"
    assert body["section"] == "§ 13-1"
    assert body["heading"] == "Bortvising"
    assert body["lovdata_url"] == "https://lovdata.no/dokument/NL/lov/2023-06-09-30/§13-1"
    assert body["citation_text"] == ""
    assert body["is_resolved"] is True
    assert body["status"] == "requested"
    assert body["proposed_arrangement"] == "The team leader decides for one day."
    assert [w["kind"] for w in body["warnings"]] == ["sector_trial_provision"]
    assert "§ 29-3" in body["warnings"][0]["text"]
    assert ExemptionRequest.objects.get(pk=body["id"]).application == draft


def test_exemption_request_warns_about_forsoksloven_section_4_limits(api, draft):
    response = api.post(exemptions(draft), {"provision": "LOV-2023-06-09-30/§2-1"}, format="json")
    assert response.status_code == 201
    kinds = [w["kind"] for w in response.json()["warnings"]]
    assert "individual_rights" in kinds
    assert all(w["text"] for w in response.json()["warnings"])


def test_exemption_request_by_citation_text_is_resolved(api, draft):
    response = api.post(
        exemptions(draft),
        {"citation": "opplæringslova § 13-1 andre ledd", "justification": "Why"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["provision"] == OPPL_13_1
    assert body["subsection"] == 2
    assert body["citation_text"] == ""
    assert body["label"] == "opplæringslova § 13-1 (2. ledd)"


def test_unresolvable_citation_is_kept_for_an_officer(api, draft):
    response = api.post(
        exemptions(draft), {"citation": "tullelova § 99", "justification": "Why"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["provision"] is None
    assert body["act_short_title"] is None
    assert body["lovdata_url"] is None
    assert body["citation_text"] == "tullelova § 99"
    assert body["is_resolved"] is False
    assert body["warnings"] == []


def test_exemption_request_needs_a_provision_or_citation(api, draft):
    response = api.post(exemptions(draft), {"justification": "Why"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["provision"]
    response = api.post(exemptions(draft), {"provision": "LOV-2099-01-01-1/§1"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["provision"]
    assert not draft.exemption_requests.exists()


def test_the_same_provision_twice_is_refused(api, draft):
    assert api.post(exemptions(draft), {"provision": OPPL_13_1}, format="json").status_code == 201
    response = api.post(exemptions(draft), {"citation": "oppl. § 13-1"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["provision"]


def test_list_retrieve_update_and_delete_exemption_requests(api, draft):
    first = api.post(exemptions(draft), {"provision": OPPL_13_1}, format="json").json()
    second = api.post(exemptions(draft), {"citation": "tullelova § 1"}, format="json").json()

    listed = api.get(exemptions(draft))
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()] == [first["id"], second["id"]]
    assert api.get(f"{exemptions(draft)}{first['id']}/").json()["provision"] == OPPL_13_1

    response = api.patch(
        f"{exemptions(draft)}{first['id']}/", {"justification": "Better reason"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["justification"] == "Better reason"
    assert response.json()["provision"] == OPPL_13_1

    response = api.put(
        f"{exemptions(draft)}{second['id']}/",
        {"citation": "opplæringslova § 14-1", "proposed_arrangement": "Shared school calendar"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["provision"] == "LOV-2023-06-09-30/§14-1"
    assert response.json()["citation_text"] == ""

    assert api.delete(f"{exemptions(draft)}{first['id']}/").status_code == 204
    assert [item["id"] for item in api.get(exemptions(draft)).json()] == [second["id"]]
    assert api.get(f"{exemptions(draft)}{first['id']}/").status_code == 404


def test_exemption_requests_are_frozen_after_submit(api, applicant, make_ready):
    application = make_ready()
    services.application_submit(actor=applicant, application=application)
    request = application.exemption_requests.get()
    url = f"{exemptions(application)}{request.pk}/"
    assert api.get(url).status_code == 200
    assert api.patch(url, {"justification": "Late"}, format="json").status_code == 403
    assert api.delete(url).status_code == 403
    assert api.post(exemptions(application), {"provision": OPPL_13_1}).status_code == 403
    assert application.exemption_requests.count() == 1


def test_an_exemption_request_of_another_application_is_not_found(api, draft, make_draft):
    other = make_draft(title="Other")
    request = services.exemption_request_create(
        actor=draft.created_by, application=other, provision=None, citation_text="x § 1"
    )
    assert api.get(f"{exemptions(draft)}{request.pk}/").status_code == 404
    assert api.delete(f"{exemptions(draft)}{request.pk}/").status_code == 404


# --- attachments ----------------------------------------------------------------------------


def test_upload_a_pdf(api, draft, media_root):
    response = api.post(
        attachments(draft),
        {
            "file": upload("kommunestyrevedtak.pdf", pdf_bytes(), "application/pdf"),
            "kind": "council_decision",
            "organisation": "3405",
            "description": "Sak 14/25",
            "screening_basis": "",
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "council_decision"
    assert body["organisation"] == {"number": "3405", "name": "Lillehammer"}
    assert body["original_name"] == "kommunestyrevedtak.pdf"
    assert body["content_type"] == "application/pdf"
    assert body["size"] == len(pdf_bytes())
    assert len(body["sha256"]) == 64
    assert body["is_public"] is True
    assert "file" not in body
    assert body["download_url"] == (f"http://testserver{attachments(draft)}{body['id']}/download/")

    listed = api.get(attachments(draft)).json()
    assert [item["id"] for item in listed] == [body["id"]]
    assert api.get(detail(draft)).json()["attachments"][0]["id"] == body["id"]


def test_an_api_key_client_downloads_what_its_download_url_gives(
    applicant, hamar_applicant, draft, make_draft, media_root
):
    attachment = services.attachment_add(
        actor=applicant,
        application=draft,
        uploaded_file=upload("vedtak.pdf", pdf_bytes(), "application/pdf"),
        kind=AttachmentKind.OTHER,
    )
    key = api_token_create(actor=applicant, user=applicant).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    url = client.get(attachments(draft)).json()[0]["download_url"]

    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == pdf_bytes()
    outsider = APIClient()
    outsider.credentials(
        HTTP_AUTHORIZATION=f"Token {api_token_create(actor=None, user=hamar_applicant).key}"
    )
    assert outsider.get(url).status_code == 404
    # The same attachment under another application of the same applicant is not found.
    other = make_draft(title="Another")
    assert client.get(f"{attachments(other)}{attachment.pk}/download/").status_code == 404


def test_a_renamed_executable_is_refused(api, draft, media_root):
    response = api.post(
        attachments(draft),
        {"file": upload("x.pdf", b"MZ\x90\x00" + b"\x00" * 60), "kind": "other"},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json() == {
        "file": [
            "“x.pdf” is not a file type we accept. Upload PDF, Word (DOCX), "
            "OpenDocument text (ODT), PNG or JPEG."
        ]
    }
    assert not draft.attachments.exists()


def test_a_council_decision_needs_the_organisation(api, draft, media_root):
    response = api.post(
        attachments(draft),
        {"file": upload("vedtak.pdf", pdf_bytes()), "kind": "council_decision"},
        format="multipart",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["organisation"]


def test_upload_refuses_the_answer_kind_and_missing_files(api, draft, media_root):
    response = api.post(
        attachments(draft),
        {"file": upload("svar.pdf", pdf_bytes()), "kind": AttachmentKind.ANSWER},
        format="multipart",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["kind"]
    response = api.post(attachments(draft), {"kind": "other"}, format="multipart")
    assert response.status_code == 400
    assert list(response.json()) == ["file"]


def test_delete_an_attachment_of_a_draft(api, applicant, draft, media_root):
    attachment = services.attachment_add(
        actor=applicant,
        application=draft,
        uploaded_file=upload("notat.pdf", pdf_bytes()),
        kind=AttachmentKind.OTHER,
    )
    assert api.delete(f"{attachments(draft)}{attachment.pk}/").status_code == 204
    assert not draft.attachments.exists()


def test_no_uploads_after_submit(api, applicant, make_ready, media_root):
    application = make_ready()
    services.application_submit(actor=applicant, application=application)
    response = api.post(
        attachments(application),
        {"file": upload("sent.pdf", pdf_bytes()), "kind": "other"},
        format="multipart",
    )
    assert response.status_code == 403


# --- submit, withdraw, answer ---------------------------------------------------------------


def test_submit_an_unready_draft_lists_every_reason(api, draft):
    response = api.post(f"{detail(draft)}submit/")
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [
            "Describe the trial.",
            "Add at least one exemption request.",
            "Give the period of the trial in months.",
            "Give the requested start date.",
        ]
    }
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.DRAFT


def test_submit_a_ready_draft(api, make_ready, django_capture_on_commit_callbacks, run_tasks):
    application = make_ready()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{detail(application)}submit/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "submitted"
    assert body["submitted_at"]
    assert body["allowed_actions"] == ["withdraw"]
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    run_tasks()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["kontakt@3405.kommune.example"]
    assert application.reference in mail.outbox[0].subject


def test_submitting_twice_is_a_conflict(api, make_ready):
    application = make_ready()
    assert api.post(f"{detail(application)}submit/").status_code == 200
    response = api.post(f"{detail(application)}submit/")
    assert response.status_code == 409
    assert response.json() == {"detail": "The application has already been submitted."}


def test_withdraw(api, applicant, make_ready, django_capture_on_commit_callbacks, run_tasks):
    application = make_ready()
    services.application_submit(actor=applicant, application=application)
    run_tasks()
    mail.outbox.clear()
    assert api.post(f"{detail(application)}withdraw/", {}, format="json").status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"{detail(application)}withdraw/",
            {"reason": "The council voted against."},
            format="json",
        )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "withdrawn"
    assert body["withdrawn_reason"] == "The council voted against."
    assert body["allowed_actions"] == []
    assert [r["status"] for r in body["exemption_requests"]] == ["withdrawn"]
    run_tasks()
    assert len(mail.outbox) == 1

    again = api.post(f"{detail(application)}withdraw/", {"reason": "Again"}, format="json")
    assert again.status_code == 409
    assert again.json() == {"detail": "The application can no longer be withdrawn."}


def test_withdraw_behind_the_users_back_is_a_conflict(api, draft, applicant, monkeypatch):
    load = selectors.application_get_for_user

    def load_then_someone_else_withdraws(user, pk):
        application = load(user, pk)
        services.application_withdraw(
            actor=applicant, application=Application.objects.get(pk=pk), reason="Elsewhere"
        )
        return application

    monkeypatch.setattr(selectors, "application_get_for_user", load_then_someone_else_withdraws)
    response = api.post(f"{detail(draft)}withdraw/", {"reason": "No"}, format="json")
    assert response.status_code == 409


@pytest.fixture
def awaiting(applicant, case_officer, make_ready, media_root):
    """A submitted application KDD has registered, reviewed and asked more information about."""
    application = make_ready()
    services.application_submit(actor=applicant, application=application)
    services.application_register(actor=case_officer, application=application)
    services.application_accept_as_complete(actor=case_officer, application=application)
    services.application_request_information(
        actor=case_officer, application=application, message="Send the union's statement."
    )
    return Application.objects.get(pk=application.pk)


def test_answer_an_information_request_with_json(api, awaiting):
    body = api.get(detail(awaiting)).json()
    assert body["status"] == "awaiting_applicant"
    assert body["allowed_actions"] == ["answer", "withdraw"]
    [open_request] = body["information_requests"]
    assert open_request["message"] == "Send the union's statement."
    assert open_request["is_answered"] is False

    assert api.post(f"{detail(awaiting)}answer/", {}, format="json").status_code == 400
    response = api.post(
        f"{detail(awaiting)}answer/", {"text": "The union agreed on 3 April."}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "under_review"
    [answered] = body["information_requests"]
    assert answered["is_answered"] is True
    assert answered["answer_text"] == "The union agreed on 3 April."

    again = api.post(f"{detail(awaiting)}answer/", {"text": "More"}, format="json")
    assert again.status_code == 409


def test_answer_with_files(api, awaiting, media_root):
    response = api.post(
        f"{detail(awaiting)}answer/",
        {
            "text": "Minutes attached.",
            "files": [upload("referat.pdf", pdf_bytes("Referat"), "application/pdf")],
        },
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    [attachment] = [a for a in body["attachments"] if a["kind"] == "answer"]
    assert attachment["original_name"] == "referat.pdf"
    assert attachment["answer"] == body["information_requests"][0]["id"]


def test_answer_with_a_bad_file_changes_nothing(api, awaiting, media_root):
    response = api.post(
        f"{detail(awaiting)}answer/",
        {"text": "Minutes attached.", "files": [upload("referat.pdf", b"MZ" + b"\x00" * 40)]},
        format="multipart",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["file"]
    awaiting.refresh_from_db()
    assert awaiting.status == ApplicationStatus.AWAITING_APPLICANT
    assert not awaiting.attachments.exists()


# --- token authentication -------------------------------------------------------------------


def test_token_authentication_reads_and_writes(applicant, draft):
    token = api_token_create(actor=applicant, user=applicant)
    client = APIClient()
    response = client.get(APPLICATIONS, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert references(response) == [draft.reference]
    response = client.post(
        APPLICATIONS,
        {"lead_organisation": "3405", "title": "From the case system"},
        format="json",
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    assert response.status_code == 201
    wrong = client.get(APPLICATIONS, HTTP_AUTHORIZATION="Token not-a-real-key")
    assert wrong.status_code == 401
    assert wrong["WWW-Authenticate"] == "Token"


def test_a_token_sees_only_its_users_applications(bodo_applicant, draft):
    token = api_token_create(actor=bodo_applicant, user=bodo_applicant)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get(APPLICATIONS).json()["count"] == 0
    assert client.get(detail(draft)).status_code == 404


# --- one municipality never reaches another's applications ----------------------------------


def test_another_municipality_cannot_reach_an_application_anywhere(
    applicant, bodo_applicant, make_ready, media_root
):
    application = make_ready()
    request = application.exemption_requests.get()
    attachment = services.attachment_add(
        actor=applicant,
        application=application,
        uploaded_file=upload("notat.pdf", pdf_bytes()),
        kind=AttachmentKind.OTHER,
    )
    client = as_user(bodo_applicant)

    assert client.get(APPLICATIONS).json()["count"] == 0
    for status in ("draft", "submitted"):
        assert client.get(APPLICATIONS, {"status": status}).json()["results"] == []
    calls = [
        ("get", detail(application), None),
        ("put", detail(application), {"title": "Taken over"}),
        ("patch", detail(application), {"title": "Taken over"}),
        ("post", f"{detail(application)}submit/", {}),
        ("post", f"{detail(application)}withdraw/", {"reason": "Because"}),
        ("post", f"{detail(application)}answer/", {"text": "Hello"}),
        ("get", exemptions(application), None),
        ("post", exemptions(application), {"provision": "LOV-2023-06-09-30/§14-1"}),
        ("get", f"{exemptions(application)}{request.pk}/", None),
        ("put", f"{exemptions(application)}{request.pk}/", {"justification": "x"}),
        ("patch", f"{exemptions(application)}{request.pk}/", {"justification": "x"}),
        ("delete", f"{exemptions(application)}{request.pk}/", None),
        ("get", attachments(application), None),
        ("delete", f"{attachments(application)}{attachment.pk}/", None),
    ]
    for method, url, data in calls:
        response = getattr(client, method)(url, data, format="json")
        assert response.status_code == 404, (method, url, response.status_code)
    response = client.post(
        attachments(application),
        {"file": upload("virus.pdf", pdf_bytes()), "kind": "other"},
        format="multipart",
    )
    assert response.status_code == 404

    application.refresh_from_db()
    assert application.title != "Taken over"
    assert application.status == ApplicationStatus.DRAFT
    assert application.exemption_requests.count() == 1
    assert application.attachments.count() == 1


def test_another_municipality_cannot_see_a_submitted_application(
    applicant, bodo_applicant, make_ready
):
    application = make_ready()
    services.application_submit(actor=applicant, application=application)
    client = as_user(bodo_applicant)
    assert client.get(APPLICATIONS, {"status": "submitted"}).json()["count"] == 0
    assert client.get(detail(application)).status_code == 404
    assert client.post(f"{detail(application)}withdraw/", {"reason": "x"}).status_code == 404


def test_token_rotation_shuts_out_the_old_key(applicant):
    old = api_token_create(actor=None, user=applicant).key
    new = api_token_create(actor=None, user=applicant, replace=True).key
    assert old != new
    client = APIClient()
    assert client.get(APPLICATIONS, HTTP_AUTHORIZATION=f"Token {old}").status_code == 401
    assert client.get(APPLICATIONS, HTTP_AUTHORIZATION=f"Token {new}").status_code == 200
    assert ApiKey.objects.filter(user=applicant).count() == 1
