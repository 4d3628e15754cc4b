"""The search document of each application: what /soknader/'s words are looked for in.

One text per application, kept by the services whenever what it is made of changes: the
application's title, summary and description, the names of its applicants (lead and
co-applicants, in every language), and for each requested exemption the provision's
heading, its act's short and full title, or the citation as written. Lower-cased, so that
SQLite's substring search (which folds ASCII only) finds "Øyer" for "øyer".

On PostgreSQL the column has a GIN index over its Norwegian ``to_tsvector`` (migration
``0007_application_search_document``), so a search costs an index lookup per word whatever
the number of applications (``trials.public.selectors.text_match``).
"""

from collections.abc import Iterable

from django.db.models import Prefetch

from trials.models import Application, ExemptionRequest

BATCH = 1000


def search_document(application: Application) -> str:
    """The document of ``application`` (its co-applicants and requests prefetched)."""
    parts = [application.title, application.summary, application.description]
    for organisation in [application.lead_organisation, *application.co_applicants.all()]:
        parts += [organisation.name, organisation.name_nn, organisation.name_en]
    for exemption in application.exemption_requests.all():
        if exemption.provision_id:
            act = exemption.provision.act
            parts += [exemption.provision.heading, act.short_title, act.title]
        parts.append(exemption.citation_text)
    return " ".join(part.strip() for part in parts if part and part.strip()).lower()


def _with_parts(applications):
    return applications.select_related("lead_organisation").prefetch_related(
        "co_applicants",
        Prefetch(
            "exemption_requests",
            queryset=ExemptionRequest.objects.select_related("provision__act").order_by(
                "order", "pk"
            ),
        ),
    )


def search_documents_refresh(application_ids: Iterable[int]) -> int:
    """Write the documents of these applications anew (in the caller's transaction)."""
    ids = list(application_ids)
    changed = []
    for start in range(0, len(ids), BATCH):
        batch = _with_parts(Application.objects.filter(pk__in=ids[start : start + BATCH]))
        for application in batch:
            document = search_document(application)
            if document != application.search_document:
                application.search_document = document
                changed.append(application)
    Application.objects.bulk_update(changed, ["search_document"], batch_size=BATCH)
    return len(changed)


def search_document_refresh(application: Application) -> None:
    search_documents_refresh([application.pk])


def search_documents_rebuild() -> int:
    """Every application's document (after loading reference data or bulk data)."""
    ids = list(Application.objects.order_by("pk").values_list("pk", flat=True))
    return search_documents_refresh(ids)
