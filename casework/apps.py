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
        from django.db.backends.signals import connection_created

        from casework.fastpath import watch_writes

        # Every committed write replaces the public data version (casework.fastpath).
        connection_created.connect(watch_writes, dispatch_uid="casework.fastpath.watch_writes")
        # Groups carry permissions of every app, so sync once all apps have migrated.
        post_migrate.connect(_sync_role_groups, dispatch_uid="casework.sync_role_groups")
