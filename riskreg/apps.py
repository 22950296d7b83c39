from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class RiskregConfig(AppConfig):
    name = "riskreg"
    verbose_name = _("Risk register")

    def ready(self) -> None:
        from .dashboard import forget_counts
        from .models import Concern
        from .roles import sync_roles_after_migrate

        # riskreg comes last in INSTALLED_APPS, so every app's permissions exist by then.
        post_migrate.connect(sync_roles_after_migrate, sender=self, dispatch_uid="riskreg_sync_roles")
        # The dashboard's cached counts (dashboard.py) go stale when a concern changes; flush emits post_migrate.
        post_save.connect(forget_counts, sender=Concern, dispatch_uid="riskreg_dashboard_saved")
        post_delete.connect(forget_counts, sender=Concern, dispatch_uid="riskreg_dashboard_deleted")
        post_migrate.connect(forget_counts, sender=self, dispatch_uid="riskreg_dashboard_migrated")
