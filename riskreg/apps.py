from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class RiskregConfig(AppConfig):
    name = "riskreg"
    verbose_name = _("Risk register")

    def ready(self) -> None:
        from .roles import sync_roles_after_migrate

        # riskreg comes last in INSTALLED_APPS, so every app's permissions exist by then.
        post_migrate.connect(sync_roles_after_migrate, sender=self, dispatch_uid="riskreg_sync_roles")
