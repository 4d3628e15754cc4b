"""Flow building blocks shared by the processes in workflows/.

``DataSplit``: a parallel split that creates one task per data item (viewflow 2.4 documents
``Split.Next(..., data_source=...)`` but does not implement it; see VIEWFLOW-NOTES.md).
``task_not_routed``: the view given to human task nodes. Each process routes its tasks
through its own URLs (the case process: ``workflows.case.views.task_execute``; the access
request: ``workflows.access.views.access_request_decide``), never through viewflow's
generated ones, so a flow does not import its views and the views may import the flow.
"""

import datetime
from contextlib import contextmanager
from functools import cache

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.db.models.signals import post_save
from django.http import Http404
from django.utils.timezone import now
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.activation import Activation
from viewflow.workflow.context import context
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.fields import get_task_ref
from viewflow.workflow.flow import nodes
from viewflow.workflow.nodes import (
    boundary,
    end,
    func,
    handle,
    if_gate,
    join,
    split,
    start,
    timer,
    view,
)
from viewflow.workflow.signals import flow_finished, flow_started, task_finished, task_started
from viewflow.workflow.status import PROCESS, STATUS
from viewflow.workflow.token import Token

from casework import prepared
from casework.transactions import defer, deferred_peek, deferred_take


def task_built(flow_task, prev_activation, token, data, seed, **fields):
    """A new (unsaved) task of ``flow_task`` in the previous task's process, as viewflow's
    activations build it."""
    task = flow_task.flow_class.task_class(
        process=prev_activation.process, flow_task=flow_task, token=token, **fields
    )
    task.data = data if data is not None else {}
    task.seed = seed
    return task


def link_previous(task, previous) -> None:
    """``task.previous.add(previous)``; in a case step's unit of work
    (``casework.transactions``) written with the step's other links in one INSERT at its end
    (``links_write``): nothing in the step reads the links of the tasks it creates (a join
    reads those of the tasks that came to it in earlier steps, ``JoinActivation``)."""
    if not defer("task_previous", (task, previous)):
        task.previous.add(previous)


def task_insert(task) -> None:
    """Write a new task row; in a case step's unit of work put off to its end and written
    with the step's other new tasks in one INSERT (``tasks_write``). What reads task rows
    in the step (a join, the end, the cancelling of a finished task's timers) writes the
    rows put off first; a split's row is written at once (its id is in its branches'
    tokens)."""
    if not defer("task_insert", task):
        task.save()


def tasks_write(tasks: list | None = None) -> None:
    """Write the new task rows put off (``task_insert``; by default those of the unit of
    work so far) in one INSERT per model, and send each the ``post_save`` its ``save()``
    would have sent (the mails about new work listen to it)."""
    if tasks is None:
        tasks = deferred_take("task_insert")
    by_model: dict[type, list] = {}
    for task in tasks:
        if task.flow_task and not task.flow_task_type:  # what ``Task.save()`` sets
            task.flow_task_type = task.flow_task.task_type
        by_model.setdefault(type(task), []).append(task)
    for model, rows in by_model.items():
        prepared.bulk_create(model, rows)
        for task in rows:
            post_save.send(
                sender=model,
                instance=task,
                created=True,
                update_fields=None,
                raw=False,
                using=task._state.db,
            )


class NewTaskHashMixin:
    """An activation whose task may have no id yet (its row put off): hashed by the task
    object, which stays the same when the id comes. Its ``create`` links its task to the
    one before without needing that one's id (``link_previous``)."""

    takes_unsaved_previous = True

    def __hash__(self):
        return id(self.task)


def _next_take_unsaved(flow_task) -> bool:
    """Every node after ``flow_task`` is created without needing its task's id (viewflow's
    own ``Activation.create`` adds the link at once, with the id)."""
    return all(
        getattr(edge.dst.activation_class, "takes_unsaved_previous", False)
        for edge in flow_task._outgoing()
    )


def links_write(deferred: dict[str, list]) -> None:
    links = deferred.get("task_previous")
    if links:
        through = links[0][0].previous.through
        prepared.bulk_create(
            through,
            [through(from_task=task, to_task=previous) for task, previous in links],
            ignore_conflicts=True,
        )


class InsertedWhenDoneMixin(NewTaskHashMixin):
    """A gateway's task row written once, when the gateway is done: an INSERT with status
    DONE and the link to the task before it, instead of an INSERT when it is created and an
    UPDATE when it is done. Only where errors propagate (a person completing a task: the row
    never has to be kept in the ERROR state); elsewhere the task is created as viewflow does.
    Callbacks find the task before it in ``activation.prev_task`` (``previous_task``)."""

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        if not context.propagate_exception:
            return super().create(flow_task, prev_activation, token, data=data, seed=seed)
        task = task_built(flow_task, prev_activation, token, data, seed)
        activation = cls(task)
        activation.prev_task = prev_activation.task
        activation.link_when_done = True
        return activation

    #: the row is written at once when done, not put off to the step's end (``task_insert``)
    row_needed_at_once = False

    def write_done(self):
        """The body of the node's ``complete`` transition (``Activation.complete``'s, with
        the link to the previous task written after the row)."""
        self.task.finished = now()
        if (
            self.task.pk is None
            and not self.row_needed_at_once
            and _next_take_unsaved(self.flow_task)
        ):
            task_insert(self.task)
        else:
            self.task.save()
        if getattr(self, "link_when_done", False):
            link_previous(self.task, self.prev_task)
        task_finished.send(sender=self.flow_class, process=self.process, task=self.task)


def previous_task(activation):
    """The task before ``activation``'s (known without a query while it is being created)."""
    return getattr(activation, "prev_task", None) or activation.task.previous.first()


class DataSplitActivation(split.SplitActivation):
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


class DataSplitWrittenOnceActivation(InsertedWhenDoneMixin, DataSplitActivation):
    row_needed_at_once = True  # its id is in its branches' tokens

    @Activation.status.super()
    def complete(self):
        self.write_done()


class DataSplitWrittenOnce(DataSplit):
    """``DataSplit`` whose task row is written once (``InsertedWhenDoneMixin``)."""

    activation_class = DataSplitWrittenOnceActivation


@login_required
def task_not_routed(request, *args, **kwargs):
    """viewflow wants a view per human task node; the process's own URLs serve the task."""
    raise Http404


# --- cheaper engine work for the case process ------------------------------------------------
#
# A person completing a task runs the whole step in one transaction under the process lock
# (``workflows.case.services``), and an error there rolls the whole step back. viewflow's
# activations each open a savepoint of their own, lock the process again and re-read rows they
# already hold; the classes below do the same work without that: a savepoint only where an
# error is recorded on the task instead of raised (the timer dispatcher runs with
# ``propagate_exception=False``), timers created already scheduled, the process passed on
# instead of re-read, and the armed timers of a finished task cancelled with one UPDATE.


def _savepoint() -> bool:
    """A savepoint only when an error is kept on the task (the timer dispatcher): then the
    activation's own work must roll back alone while the task is saved as failed."""
    return not context.propagate_exception


class SelectForUpdateLock(lock.SelectForUpdateLock):
    """viewflow's ``SELECT ... FOR UPDATE`` lock on the process row that, inside a
    transaction already open (a service's), takes the row lock in it without a savepoint
    (a lock error then fails the whole use case, which is what it wants)."""

    def __init__(self):
        super().__init__(nowait=False)

    @contextmanager
    def __call__(self, flow_class, process_pk):
        if not transaction.get_connection().in_atomic_block:
            with super().__call__(flow_class, process_pk):
                yield
            return
        manager = flow_class.process_class._default_manager
        manager.filter(pk=process_pk).select_for_update().exists()
        yield


class StartHandleActivation(NewTaskHashMixin, start.StartHandleActivation):
    @Activation.status.super()
    def complete(self):
        """``Activation.complete``, the row written by ``task_insert`` (with the step's
        other new rows) when the next nodes do not need its id."""
        self.task.finished = now()
        if self.task.pk is None and _next_take_unsaved(self.flow_task):
            task_insert(self.task)
        else:
            self.task.save()
        task_finished.send(sender=self.flow_class, process=self.process, task=self.task)

    @Activation.status.super()
    def execute(self):
        task_started.send(sender=self.flow_class, process=self.process, task=self.task)
        with transaction.atomic(savepoint=False):
            self.process.save()
            # no lock: the new process row is not visible to anyone before the commit
            self.complete()
            flow_started.send(sender=self.flow_class, process=self.process, task=self.task)
            self.activate_next()


class SplitActivation(InsertedWhenDoneMixin, split.SplitActivation):
    row_needed_at_once = True  # its id is in its branches' tokens

    @Activation.status.super()
    def complete(self):
        self.write_done()


class Split(flow.Split):
    activation_class = SplitActivation


class StartHandle(flow.StartHandle):
    activation_class = StartHandleActivation


class FunctionActivation(InsertedWhenDoneMixin, func.FunctionActivation):
    @Activation.status.super()
    def complete(self):
        self.write_done()

    @Activation.status.super()
    def activate(self):
        with self.exception_guard(), transaction.atomic(savepoint=_savepoint()):
            self.task.started = now()
            task_started.send(sender=self.flow_class, process=self.process, task=self.task)
            self.flow_task._func(self)


class Function(flow.Function):
    activation_class = FunctionActivation


class IfActivation(InsertedWhenDoneMixin, if_gate.IfActivation):
    @Activation.status.super()
    def complete(self):
        self.write_done()

    @Activation.status.super()
    def activate(self):
        with self.exception_guard(), transaction.atomic(savepoint=_savepoint()):
            self._condition_result = self.flow_task._condition(self)


class If(flow.If):
    activation_class = IfActivation


class EndActivation(InsertedWhenDoneMixin, end.EndActivation):
    @Activation.status.super()
    def complete(self):
        self.write_done()

    @Activation.status.super()
    def activate(self):
        with self.exception_guard(), transaction.atomic(savepoint=_savepoint()):
            self.task.started = now()
            task_started.send(sender=self.flow_class, process=self.process, task=self.task)
            # an unfinished task whose row is put off to the step's end counts
            active = (
                any(
                    t.finished is None and t.process_id == self.process.pk
                    for t in deferred_peek("task_insert")
                )
                or not self._process_finished()
            )
            task_finished.send(sender=self.flow_class, process=self.process, task=self.task)
            if not active:
                flow_finished.send(sender=self.flow_class, process=self.process, task=self.task)

    def _process_finished(self) -> bool:
        """Mark the process DONE unless another of its tasks is unfinished: one UPDATE whose
        condition is that check (instead of the check, then the UPDATE), under the process
        lock the step holds. True when it did."""
        finished = now()
        unfinished = (
            self.flow_class.task_class._default_manager.filter(
                process=OuterRef("pk"), finished__isnull=True
            )
            .exclude(pk=self.task.pk)
            .order_by()
        )
        process_model = type(self.process)._meta.get_field("status").model
        done = (
            process_model._default_manager.filter(pk=self.process.pk)
            .exclude(Exists(unfinished))
            .update(status=PROCESS.DONE, finished=finished)
        )
        if done:
            self.process.status = PROCESS.DONE
            self.process.finished = finished
        return bool(done)


class End(flow.End):
    activation_class = EndActivation


@cache
def _join_query(task_class) -> prepared.PreparedQuery:
    """The open join task of a process with the token and status of each task that came to
    it (a row per incoming task), compiled once (``casework.prepared``)."""
    return prepared.PreparedQuery(
        lambda flow_task_ref, process_id: task_class._default_manager.filter(
            flow_task=flow_task_ref,
            process_id=process_id,
            status__in=[STATUS.NEW, STATUS.STARTED],
        ).annotate(
            incoming_pk=F("previous__pk"),
            incoming_token=F("previous__token"),
            incoming_status=F("previous__status"),
        )
    )


class JoinActivation(join.JoinActivation):
    """The join task found once, with the tasks that came to it before (their tokens and
    statuses: its prefixes need no second read), and given the process it belongs to; the
    link from the arriving task written with the step's others (``link_previous``)."""

    takes_unsaved_previous = True  # writes the rows put off first (``tasks_write``)

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        tasks_write()  # the join reads the rows of the branches, and their links to it
        links_write({"task_previous": deferred_take("task_previous")})
        # the join task with the token and status of each task that came to it before, in
        # one query (a row per incoming task; the join's prefixes need no second read)
        rows = _join_query(flow_task.flow_class.task_class).all(
            get_task_ref(flow_task), prev_activation.process.pk
        )
        tasks = {row.pk: row for row in rows}
        if len(tasks) > 1:
            raise FlowRuntimeError("More than one join instance for process found")
        incoming = {
            row.incoming_pk: (row.incoming_token, row.incoming_status)
            for row in rows
            if row.incoming_pk is not None
        }
        if tasks:
            task = rows[0]
            task.process = prev_activation.process
        else:
            if token.is_split_token():
                token = token.get_base_split_token()
            task = task_built(
                flow_task, prev_activation, token, data, seed, status=STATUS.STARTED, started=now()
            )
            task.save()
        # nothing in the step reads the join's links (its prefixes come from ``incoming``)
        link_previous(task, prev_activation.task)
        previous = prev_activation.task
        incoming[previous.pk] = (previous.token, previous.status)
        activation = cls(task)
        activation._incoming = incoming
        return activation

    def _join_token_prefixes(self):
        """viewflow's: the common split prefixes of the incoming tasks not cancelled, from
        what ``create`` read with the join task (else read)."""
        if not hasattr(self, "_prefixes"):
            incoming = getattr(self, "_incoming", None)
            if incoming is None:
                self._prefixes = super()._join_token_prefixes()
            else:
                self._prefixes = {
                    Token(str(token)).get_common_split_prefix(self.task.token, pk)
                    for pk, (token, status) in incoming.items()
                    if status not in (STATUS.CANCELED, STATUS.REVIVED)
                }
        return self._prefixes

    def is_done(self):
        if not hasattr(self, "_done"):
            tasks_write()
            self._done = super().is_done()
        return self._done

    @Activation.status.transition(
        source=STATUS.STARTED, target=STATUS.DONE, conditions=[this.is_done]
    )
    def complete(self):
        with self.exception_guard(), transaction.atomic(savepoint=_savepoint()):
            if len(self._join_token_prefixes()) > 1:
                raise FlowRuntimeError(f"Multiple tokens came to join {self.flow_task.name}")
            super(join.JoinActivation, self).complete.original()


class Join(flow.Join):
    activation_class = JoinActivation

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self._continue_on_condition:
            raise ValueError("workflows.nodes.Join waits for every branch")


class TimerActivation(NewTaskHashMixin, timer.TimerActivation):
    """A timer created already scheduled: its due moment is computed before the row is
    written (one INSERT instead of an INSERT, a savepoint and an UPDATE). The delay callback
    finds the task before the timer (the host of a boundary timer) in ``activation.prev_task``.
    """

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        task = task_built(flow_task, prev_activation, token, data, seed)
        activation = cls(task)
        activation.prev_task = prev_activation.task
        delay = flow_task._delay
        if callable(delay):
            delay = delay(activation)
        if isinstance(delay, datetime.timedelta):
            delay = now() + delay
        if not isinstance(delay, datetime.datetime):
            raise ValueError(f"Timer delay must be a timedelta or datetime, got {delay!r}")
        task.scheduled = delay
        task.status = STATUS.SCHEDULED
        task_insert(task)
        link_previous(task, prev_activation.task)
        return activation


class Timer(flow.Timer):
    activation_class = TimerActivation


class TimerBoundaryActivation(TimerActivation, boundary.TimerBoundaryActivation):
    pass


@cache
def _timers_cancel(task_class) -> prepared.PreparedUpdate:
    """The armed timers on a finished task of a process, compiled once for each number of
    timers (``casework.prepared``)."""
    return prepared.PreparedUpdate(
        lambda process_id, host_id, *timer_refs: task_class._default_manager.filter(
            flow_task__in=timer_refs,
            process_id=process_id,
            previous=host_id,
            status__in=[STATUS.NEW, STATUS.SCHEDULED],
        )
    )


class TimerBoundary(nodes.TimerBoundary):
    activation_class = TimerBoundaryActivation

    def _arm(self, host_activation):
        self.activation_class.create(self, host_activation, host_activation.task.token)

    def _on_host_finished(self, **signal_kwargs):
        """Cancel the timers still armed on the finished task, all of its timers at once
        (the first of them to hear of it does)."""
        host_task = signal_kwargs["task"]
        if host_task.flow_task != self._attached_to or getattr(host_task, "_timers_off", False):
            return
        tasks_write()
        timers = [
            node for node in host_task.flow_task._boundary_events if isinstance(node, TimerBoundary)
        ]
        _timers_cancel(self.flow_class.task_class).update(
            host_task.process_id,
            host_task.pk,
            *(get_task_ref(timer) for timer in timers),
            status=STATUS.CANCELED,
            finished=now(),
        )
        host_task._timers_off = True


class ScheduledTimeoutsMixin:
    """``OnTimeout`` with the ``TimerBoundary`` above."""

    def OnTimeout(self, delay, then, interrupting=True, title=None):
        boundary = TimerBoundary(None, delay=delay, interrupting=interrupting).Next(then)
        if title is not None:
            boundary.Annotation(title=title)
        self._boundary_specs.append(("timeout", boundary))
        return self


class ViewActivation(NewTaskHashMixin, view.ViewActivation):
    """viewflow's, with the link to the previous task written by ``link_previous``."""

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        task = task_built(flow_task, prev_activation, token, data, seed)
        activation = cls(task)
        owner_permission = flow_task.calc_owner_permission(activation)
        if owner_permission:
            task.owner_permission = owner_permission
            task.owner_permission_obj = flow_task.calc_owner_permission_obj(activation)
        owner = flow_task.calc_owner(activation)
        if owner:
            task.owner = owner
            task.status = STATUS.ASSIGNED
        task_insert(task)
        link_previous(task, prev_activation.task)
        if flow_task._on_create is not None:
            flow_task._on_create(activation)
        return activation


class View(ScheduledTimeoutsMixin, flow.View):
    activation_class = ViewActivation


class HandleActivation(NewTaskHashMixin, handle.HandleActivation):
    """viewflow's, with the row written by ``task_insert`` and the link to the previous task
    by ``link_previous``."""

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        task = task_built(flow_task, prev_activation, token, data, seed)
        task_insert(task)
        link_previous(task, prev_activation.task)
        return cls(task)


class Handle(ScheduledTimeoutsMixin, flow.Handle):
    activation_class = HandleActivation
