"""What a backup of the register holds, and the lossless JSON format it is written in.

A backup holds everything people entered or that records who did what: the register with its
full history (django-simple-history tables), users, groups and their permissions, and admin's
action log. Left out: content types and permissions (rebuilt by ``migrate`` and referred to by
natural key), sessions (users log in again) and login-lockout records (transient).

Django's JSON encoder cuts datetimes to milliseconds, which would change every history timestamp
on a round trip. This module is installed as the "json" serialization format
(``SERIALIZATION_MODULES``), so dumpdata writes full microseconds; reading is Django's own.
"""

import datetime
from typing import Any

from django.core.serializers.json import Deserializer, DjangoJSONEncoder
from django.core.serializers.json import Serializer as DjangoJSONSerializer

BACKUP_LABELS = ["riskreg", "auth.user", "auth.group", "admin.logentry"]


class LosslessJSONEncoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime | datetime.time):
            text = o.isoformat()
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
        return super().default(o)


class Serializer(DjangoJSONSerializer):
    def _init_options(self) -> None:
        super()._init_options()
        self.json_kwargs["cls"] = LosslessJSONEncoder


__all__ = ["BACKUP_LABELS", "Deserializer", "LosslessJSONEncoder", "Serializer"]
