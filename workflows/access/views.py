"""The officers' pages for access requests (innsynskrav): the open requests, and one request
with its decision form. Thin views: reads through selectors, the decision through
``workflows.access.services`` (the process lock) and ``casework.services``."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from casework.choices import AccessRequestStatus, Role
from casework.models import AccessRequest
from casework.selectors import access_request_get, journal_document_file, user_has_role
from workflows.access import selectors as access_selectors
from workflows.access import services as access_services
from workflows.access.forms import AccessDecisionForm
from workflows.tasks import TaskDone

RECENTLY_DECIDED = 20


def officer_required(view):
    """Logged in (else to the login page) and a KDD case officer (else 403)."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not user_has_role(request.user, Role.CASE_OFFICER):
            raise PermissionDenied(_("Only a case officer at the ministry can see this page."))
        return view(request, *args, **kwargs)

    return wrapped


@require_GET
@officer_required
def access_request_list(request):
    today = timezone.localdate()
    rows = [
        {"task": task, "request": access_selectors.access_request_of(task)}
        for task in access_selectors.open_access_tasks()
    ]
    decided = (
        AccessRequest.objects.exclude(status=AccessRequestStatus.RECEIVED)
        .select_related("entry__case", "decided_by")
        .order_by("-decided_at")[:RECENTLY_DECIDED]
    )
    return render(
        request,
        "workflows/access/list.html",
        {"rows": rows, "decided": decided, "today": today},
    )


@require_http_methods(["GET", "POST"])
@officer_required
def access_request_decide(request, pk: int):
    access_request = access_request_get(pk)
    if access_request is None:
        raise Http404
    task = access_selectors.access_task_for(access_request)
    form = None
    if task is not None and not access_request.is_decided:
        if request.method == "POST":
            form = AccessDecisionForm(request.POST, entry=access_request.entry)
            if form.is_valid():
                try:
                    access_services.access_task_complete(
                        actor=request.user, task=task, payload=form.payload()
                    )
                except ValidationError as exc:
                    form.add_service_errors(exc)
                except TaskDone as exc:
                    messages.warning(request, str(exc))
                    return redirect("access_requests:decide", pk=access_request.pk)
                else:
                    access_request.refresh_from_db()
                    if access_request.status == AccessRequestStatus.GRANTED:
                        messages.success(request, _("Access is granted and the requester told."))
                    else:
                        messages.success(request, _("Access is refused and the requester told."))
                    return redirect("access_requests:list")
        else:
            form = AccessDecisionForm(entry=access_request.entry)
    elif request.method == "POST":
        messages.warning(request, str(TaskDone()))
        return redirect("access_requests:decide", pk=access_request.pk)
    documents = [
        {"document": document, "has_file": journal_document_file(document) is not None}
        for document in access_request.entry.documents.prefetch_related("source")
    ]
    return render(
        request,
        "workflows/access/decide.html",
        {
            "access_request": access_request,
            "entry": access_request.entry,
            "documents": documents,
            "task": task,
            "form": form,
            "today": timezone.localdate(),
        },
    )
