"""A parallel split that creates one task per data item (viewflow 2.4 documents
``Split.Next(..., data_source=...)`` but does not implement it; see VIEWFLOW-NOTES.md)."""

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
