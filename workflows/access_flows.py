from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from workflows.access_models import AccessRequestProcess

OFFICER = "workflows.handle_case"


@login_required
def task_not_routed(request, *args, **kwargs):
    """viewflow wants a view per human task node; the officer's page for this task is
    ``workflows.access_views.access_request_decide``, so this entry point is never routed."""
    raise Http404


class AccessRequestFlow(flow.Flow):
    """Answering a request for access to a journal entry (innsynskrav, offentleglova § 28).

    Anyone may ask for access to a document in the public journal; the request starts the
    process. A KDD case officer decides it without undue delay, normally within three
    working days (§ 29): access is granted, and the documents are sent to the requester by
    email (public ones also as a link to the journal), or refused with the legal basis in
    offentleglova and the reasons (§ 31). The requester is told either way, and the process
    ends.
    """

    process_class = AccessRequestProcess
    lock_impl = lock.SelectForUpdateLock(nowait=False)

    start = flow.StartHandle(this.start_request).Next(this.decide_access)

    decide_access = (
        flow.View(task_not_routed)
        .Annotation(title=_("Decide the access request"))
        .Permission(OFFICER)
        .Next(this.end)
    )

    end = flow.End()

    def start_request(self, activation, access_request, actor=None):
        activation.process.access_request = access_request
        return activation.process
