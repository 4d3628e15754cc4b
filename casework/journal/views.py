"""The public journal (offentleglova § 10) and access requests (innsynskrav, § 28): open to
everyone, no login. Nothing here shows a screened document or a requester's address."""

from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.functional import cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from casework import selectors, services
from casework.caching import Validator, conditional_page, version_cached
from casework.downloads import file_response
from casework.journal.forms import AccessRequestForm, JournalFilterForm
from casework.ratelimit import client_address, count_hit
from casework.selectors import journal_document_file, journal_document_releasable

PAGE_SIZE = 50
RECEIPT_SALT = "casework.access_request.receipt"
RECEIPT_MAX_AGE = 60 * 60 * 24 * 30


class CountedPaginator(Paginator):
    """A paginator told the count (already known from the page's validators query)."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def _journal_entries(request):
    form = JournalFilterForm(request.GET or None)
    return form, selectors.public_journal(**form.filters())


def journal_version(request) -> Validator:
    """The journal page's validator: newest id and newest registration time of the entries
    asked for (one query of index reads)."""
    _form, entries = _journal_entries(request)
    stamp = selectors.public_journal_stamp(entries)
    moment = stamp["last_registered"]
    version = f"{stamp['last_pk'] or 0}-{moment.isoformat() if moment else ''}"
    return Validator(version, last_modified=moment, data=stamp)


def _rows(entries) -> list[dict]:
    rows = []
    for entry in entries:
        documents = []
        for document in getattr(entry, "public_documents", []):
            found = (
                journal_document_file(document) if journal_document_releasable(document) else None
            )
            if found is not None:
                documents.append({"document": document, "filename": found.filename})
        rows.append({"entry": entry, "documents": documents})
    return rows


@conditional_page(journal_version)
def journal_list(request):
    form, entries = _journal_entries(request)
    # Counted once per version of the entries asked for (a new entry changes the version).
    params = request.GET.copy()
    params.pop("page", None)
    count = version_cached(
        f"journal-count|{params.urlencode()}", request.page_validator.version, entries.count
    )
    paginator = CountedPaginator(selectors.public_journal_page(entries), PAGE_SIZE, count=count)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": _rows(page.object_list),
        "count": count,
        "filtered": any(request.GET.get(name) for name in form.fields),
    }
    return render(request, "casework/journal/list.html", context)


@require_safe
def journal_document(request, pk: int):
    """Download a document of a public entry; anything screened is simply not found (also
    for a logged-in officer: this address answers as it answers everyone)."""
    document = selectors.document_for_user(AnonymousUser(), pk)
    return file_response(journal_document_file(document), public=True)


@require_http_methods(["GET", "POST"])
def access_request(request):
    entry = (
        selectors.journal_entry_get(request.GET.get("entry")) if "entry" in request.GET else None
    )
    if request.method == "POST":
        form = AccessRequestForm(request.POST)
        if form.is_valid() and _too_many_requests(request):
            form.add_error(
                None,
                _(
                    "We have received many access requests from your address in the last "
                    "hour. Try again later, or write to postmottak@kdd.dep.no."
                ),
            )
        elif form.is_valid():
            try:
                created = services.access_request_create(
                    actor=request.user,
                    entry=form.entry,
                    email=form.cleaned_data["email"],
                    name=form.cleaned_data["name"],
                    message=form.cleaned_data["message"],
                    language=get_language(),
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                token = signing.dumps(created.pk, salt=RECEIPT_SALT)
                return redirect("journal:access_request_receipt", token=token)
        entry = form.entry or entry
    else:
        form = AccessRequestForm(initial={"document": entry.document_number} if entry else None)
    response = render(
        request, "casework/journal/access_request.html", {"form": form, "entry": entry}
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


ACCESS_REQUESTS_PER_HOUR = 20


def _too_many_requests(request) -> bool:
    """A simple per-client limit, so the form cannot be used to send mail in bulk."""
    key = f"access-requests:{client_address(request)}"
    count = count_hit(key, timeout=3600)
    return count > ACCESS_REQUESTS_PER_HOUR


@require_safe
def access_request_receipt(request, token: str):
    """The receipt, reached through a signed link: references cannot be guessed."""
    try:
        pk = signing.loads(token, salt=RECEIPT_SALT, max_age=RECEIPT_MAX_AGE)
    except signing.BadSignature as exc:
        raise Http404 from exc
    found = selectors.access_request_get(pk)
    if found is None:
        raise Http404
    response = render(
        request,
        "casework/journal/access_request_receipt.html",
        {"access_request": found, "entry": found.entry},
    )
    patch_cache_control(response, private=True, no_store=True)
    return response
