from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrialsConfig(AppConfig):
    name = "trials"
    verbose_name = _("Trials")

    def ready(self):
        from django.db.models.signals import post_save

        from casework import hooks as casework_hooks
        from casework.models import AuditEvent
        from legal import hooks as legal_hooks
        from trials import selectors
        from trials.public import opendata
        from trials.public.register import selectors as register
        from trials.services import search

        # legal knows no application: the exemption register lends it its counts.
        if register.provision_usage not in legal_hooks.provision_usage_providers:
            legal_hooks.provision_usage_providers.append(register.provision_usage)
        # The search documents quote organisations' names and provisions' headings.
        if search.search_documents_rebuild not in legal_hooks.reference_data_loaded:
            legal_hooks.reference_data_loaded.append(search.search_documents_rebuild)
        # casework knows no application: the applicants read the letters sent to them.
        if selectors.user_may_read_letter not in casework_hooks.document_readers:
            casework_hooks.document_readers.append(selectors.user_may_read_letter)
        # Every service writes an audit event: the prepared downloads follow the data.
        post_save.connect(
            opendata.data_changed, sender=AuditEvent, dispatch_uid="prepared-downloads"
        )
