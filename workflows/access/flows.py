from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from workflows.access.models import AccessRequestProcess
from workflows.nodes import task_not_routed

OFFICER = "workflows.handle_case"


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
