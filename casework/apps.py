from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_role_groups(sender, **kwargs):
    from casework.services import role_groups_sync

    role_groups_sync()


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = _("Case handling")

    def ready(self):
        # Groups carry permissions of every app, so sync once all apps have migrated.
        post_migrate.connect(_sync_role_groups, dispatch_uid="casework.sync_role_groups")
