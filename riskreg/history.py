"""A readable change history from django-simple-history records: who changed what, from what to what.

Consecutive records are compared with ``diff_against``. Foreign keys in a diff are raw
primary keys; they are named with one query per related model for the whole history,
not one per change.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

# Bookkeeping that changes on every save; listing it would bury the real changes.
UNTRACKED = ("updated",)
HISTORY_TYPES = {"+": _("Created"), "~": _("Changed"), "-": _("Deleted")}


@dataclass
class FieldChange:
    label: str
    old: Any
    new: Any


@dataclass
class HistoryEntry:
    record: Any
    action: str
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def user(self) -> Any:
        return self.record.history_user

    @property
    def date(self) -> Any:
        return self.record.history_date


def history_changes(records: list[Any]) -> list[HistoryEntry]:
    """Entries for ``records`` (newest first), each with the fields that differ from the record before it.

    The oldest record is compared with nothing: it is shown with its action (usually "Created") only."""
    model = records[0].instance_type if records else None
    pairs = [(new, records[i + 1] if i + 1 < len(records) else None) for i, new in enumerate(records)]
    deltas = [
        (new, new.diff_against(old, excluded_fields=UNTRACKED) if old is not None else None) for new, old in pairs
    ]

    # Name foreign keys: collect every pk mentioned, then fetch each related model's rows once.
    wanted: dict[models.Field, set[Any]] = defaultdict(set)
    for _record, delta in deltas:
        for change in delta.changes if delta else []:
            model_field = model._meta.get_field(change.field)
            if model_field.is_relation and model_field.many_to_one:
                wanted[model_field].update(v for v in (change.old, change.new) if v is not None)
    names = {
        model_field: model_field.related_model._default_manager.in_bulk(list(pks))
        for model_field, pks in wanted.items()
    }

    def show(model_field: models.Field, value: Any) -> Any:
        if value is None or value == "":
            return "—"
        if model_field in names:
            return names[model_field].get(value, value)
        if model_field.choices:
            return dict(model_field.flatchoices).get(value, value)
        return value

    entries = []
    for record, delta in deltas:
        entry = HistoryEntry(record=record, action=HISTORY_TYPES.get(record.history_type, record.history_type))
        for change in delta.changes if delta else []:
            model_field = model._meta.get_field(change.field)
            entry.changes.append(
                FieldChange(
                    label=model_field.verbose_name,
                    old=show(model_field, change.old),
                    new=show(model_field, change.new),
                )
            )
        entries.append(entry)
    return entries
