"""Flow building blocks shared by the processes in workflows/.

``DataSplit``: a parallel split that creates one task per data item (viewflow 2.4 documents
``Split.Next(..., data_source=...)`` but does not implement it; see VIEWFLOW-NOTES.md).
``task_not_routed``: the view given to human task nodes. Each process routes its tasks
through its own URLs (the case process: ``workflows.case.views.task_execute``; the access
request: ``workflows.access.views.access_request_decide``), never through viewflow's
generated ones, so a flow does not import its views and the views may import the flow.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from viewflow.workflow.activation import Activation
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.flow import nodes
from viewflow.workflow.nodes.split import SplitActivation


class DataSplitActivation(SplitActivation):
    @Activation.status.super()
    def activate(self):
        for node, cond, data_source in self.flow_task._branches:
            if cond and not cond(self):
                continue
            if data_source is None:
                self.next_tasks.append((node, None))
            else:
                self.next_tasks.extend((node, item) for item in data_source(self))
        if not self.next_tasks:
            raise FlowRuntimeError(f"No next task available for {self.flow_task.name}")


class DataSplit(nodes.Split):
    """``DataSplit().Next(this.consult, data_source=this.consultation_items)``."""

    activation_class = DataSplitActivation

    def Next(self, node, case=None, data_source=None):
        self._activate_next.append((node, case, data_source))
        return self


@login_required
def task_not_routed(request, *args, **kwargs):
    """viewflow wants a view per human task node; the process's own URLs serve the task."""
    raise Http404
