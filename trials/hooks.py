"""Extension points for the case process.

trials knows nothing of workflows (imports point one way); the workflows app registers its
callbacks here in ``AppConfig.ready``. Callbacks run inside the service's transaction, so a
failure rolls the whole step back.
"""

from collections.abc import Callable

# callback(application, actor)
on_submitted: list[Callable] = []
# callback(application, actor): the applicant answered a request for more information
on_answered: list[Callable] = []

# callback(application, actor): the applicant withdrew the application
on_withdrawn: list[Callable] = []


def run(callbacks: list[Callable], *args) -> None:
    for callback in callbacks:
        callback(*args)


# callback(trial, actor): the trial came into force (its regulation was recorded)
on_trial_in_force: list[Callable] = []
# callback(trial, actor): a date the follow-up timers watch changed (end date, obligations)
on_trial_changed: list[Callable] = []
# callback(extension, actor): the municipality applied for an extension (its case starts)
on_extension_applied: list[Callable] = []
# callback(extension, actor): KDD proposed an extension on its own initiative (its case starts
# at the approval by another person)
on_extension_initiated: list[Callable] = []
# decider(actor, extension, grant, reasons) -> the extension, or None when it cannot decide:
# the case process does the decisive step of an extension's case (propose or approve)
extension_deciders: list[Callable] = []
# callback(trial, previous_officer, actor): a leader gave the trial's follow-up to another officer
on_trial_officer_changed: list[Callable] = []
