from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LegalConfig(AppConfig):
    name = "legal"
    verbose_name = _("Law register")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from legal.models import LegalAct, Provision, ScopeLimit
        from legal.services import reference_data_changed

        # Any change to the register's data changes its pages' version.
        for model in (LegalAct, Provision, ScopeLimit):
            for signal in (post_save, post_delete):
                signal.connect(
                    reference_data_changed,
                    sender=model,
                    dispatch_uid=f"legal-reference-version-{signal is post_save}-{model.__name__}",
                )
