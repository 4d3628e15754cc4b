"""The case process's shape on the bare viewflow engine, for bench/case_process.py: the same
nodes (register, completeness, assessment, a split into one consultation task per ministry
with their reminder and deadline timers, join, proposal, approval, the interim-reply timer
cancelled at the end), the same lock, and no domain work at all: no application, audit,
journal, letter or mail."""

import datetime

from django.db import transaction
from django.utils import timezone
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.status import STATUS

from workflows.nodes import DataSplit, task_not_routed


def _later(days: int):
    return lambda self, activation: timezone.now() + datetime.timedelta(days=days)


class BareFlow(flow.Flow):
    """The case process without its domain."""

    lock_impl = lock.SelectForUpdateLock(nowait=False)

    start = flow.StartHandle(this.start_case).Next(this.register)
    register = flow.View(task_not_routed).Next(this.split_after_registration)
    split_after_registration = (
        flow.Split().Always(this.check_completeness).Always(this.interim_wait)
    )
    check_completeness = flow.View(task_not_routed).Next(this.is_complete)
    is_complete = flow.If(this.always).Then(this.assess).Else(this.end)
    assess = flow.View(task_not_routed).Next(this.needs_consultation)
    needs_consultation = flow.If(this.always).Then(this.split_consultations).Else(this.propose)
    split_consultations = DataSplit().Next(this.consult, data_source=this.consultation_items)
    consult = (
        flow.View(task_not_routed)
        .OnTimeout(this.reminder_due, this.remind, interrupting=False)
        .OnTimeout(this.deadline, this.end)
        .Next(this.join_consultations)
    )
    remind = flow.Function(this.nothing).Next(this.end)
    join_consultations = flow.Join().Next(this.finish_consultations)
    finish_consultations = flow.Function(this.nothing).Next(this.propose)
    propose = flow.View(task_not_routed).Next(this.approve)
    approve = flow.View(task_not_routed).Next(this.decided)
    decided = flow.Function(this.stop_interim).Next(this.end)
    end = flow.End()
    interim_wait = flow.Timer(this.interim_due).Next(this.end)

    def start_case(self, activation, **kwargs):
        return activation.process

    def always(self, activation):
        return True

    def consultation_items(self, activation):
        return [{"ministry": "KD"}, {"ministry": "HOD"}]

    reminder_due = _later(11)
    deadline = _later(15)
    interim_due = _later(30)

    def nothing(self, activation):
        return None

    def stop_interim(self, activation):
        for task in self.task_class._default_manager.filter(
            process=activation.process,
            flow_task=self.interim_wait,
            status__in=[STATUS.NEW, STATUS.SCHEDULED],
        ):
            task.process = activation.process
            task.flow_task.activation_class(task).cancel()


def complete(task, user) -> None:
    """What ``workflows.case.services.task_complete`` does for the engine: under the process
    lock, take the task if it is in the queue, start it and finish it."""
    with transaction.atomic(), BareFlow.lock(task.process_id):
        task.refresh_from_db()
        activation = task.flow_task.activation_class(task)
        if task.status == STATUS.NEW:
            activation.assign(user)
        activation.start(None)
        activation.execute()


def open_tasks(process, node):
    return list(
        BareFlow.task_class.objects.select_related("process").filter(
            process=process, flow_task=node, status__in=[STATUS.NEW, STATUS.ASSIGNED]
        )
    )
