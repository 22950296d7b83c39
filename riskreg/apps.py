from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskregConfig(AppConfig):
    name = "riskreg"
    verbose_name = _("Risk register")
