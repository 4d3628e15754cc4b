from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = _("Workflows")

    def ready(self):
        from trials import hooks
        from workflows import services

        # trials knows nothing of workflows; the process plugs into its services here.
        for registry, callback in (
            (hooks.on_submitted, services.case_start),
            (hooks.on_answered, services.answer_received),
            (hooks.on_withdrawn, services.case_cancel),
        ):
            if callback not in registry:
                registry.append(callback)
