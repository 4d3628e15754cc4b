from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = _("Workflows")

    def ready(self):
        from casework import hooks as casework_hooks
        from trials import hooks
        from workflows import timers
        from workflows.access import services as access_services
        from workflows.case import extension, selectors, services
        from workflows.trial import services as trial_services

        # trials and casework know nothing of workflows; the processes plug in here.
        for registry, callback in (
            (hooks.on_submitted, services.case_start),
            (hooks.on_answered, services.answer_received),
            (hooks.on_withdrawn, services.case_cancel),
            (casework_hooks.on_access_request, access_services.access_process_start),
            (casework_hooks.case_readers, selectors.user_may_read_case),
            (hooks.on_trial_in_force, trial_services.follow_up_start),
            (hooks.on_trial_changed, trial_services.follow_up_reschedule),
            (hooks.on_extension_applied, extension.extension_case_start),
            (hooks.on_extension_initiated, extension.extension_case_start),
            (hooks.on_trial_officer_changed, trial_services.follow_up_officer_changed),
            (hooks.extension_deciders, extension.extension_decide_in_case),
        ):
            if callback not in registry:
                registry.append(callback)
        timers.connect()
        from workflows.case import notifications

        notifications.connect()
