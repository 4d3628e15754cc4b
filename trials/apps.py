from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrialsConfig(AppConfig):
    name = "trials"
    verbose_name = _("Trials")

    def ready(self):
        from legal import hooks as legal_hooks
        from trials.public.register import selectors as register

        # legal knows no application: the exemption register lends it its counts.
        if register.provision_usage not in legal_hooks.provision_usage_providers:
            legal_hooks.provision_usage_providers.append(register.provision_usage)
