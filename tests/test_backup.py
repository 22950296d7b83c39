"""Backup and restore round-trip the whole register: every row of every table it covers."""

import datetime

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.core import serializers
from django.core.management import CommandError, call_command

from riskreg.backup import BACKUP_LABELS
from riskreg.models import Concern, Measure

from .roles import ANALYST, make_user


def backed_up_models():
    for label in BACKUP_LABELS:
        if "." in label:
            yield apps.get_model(label)
        else:
            yield from apps.get_app_config(label).get_models()


def snapshot() -> dict[str, list]:
    """Every row of every backed-up table, with references by natural key where rows are renumbered."""
    rows = {}
    for model in backed_up_models():
        objects = serializers.serialize(
            "python", model._default_manager.all(), use_natural_foreign_keys=True, use_natural_primary_keys=True
        )
        rows[model._meta.label] = sorted((repr(o.get("pk")), repr(sorted(o["fields"].items()))) for o in objects)
    return rows


@pytest.fixture
def busy_register(seeded, django_user_model):
    """Seeds plus edits with history by a named user, a many-to-many change and admin log entries."""
    analyst = make_user(django_user_model, ANALYST, "analyst")
    concern = Concern.objects.order_by("pk").first()
    concern._history_user = analyst
    concern.title = "Edited title — 中文 — עברית — 🚩"
    concern.owner = analyst
    concern.save()
    measure = Measure.objects.order_by("pk").first()
    measure.due = datetime.date(2031, 5, 1)
    measure.save()
    measure.concerns.add(concern)
    LogEntry.objects.log_actions(analyst.pk, [concern], CHANGE, change_message="changed title", single_object=True)
    return concern


@pytest.mark.django_db(transaction=True)
def test_backup_wipe_restore_gives_back_every_row(busy_register, tmp_path):
    before = snapshot()
    assert before["riskreg.HistoricalConcern"] and before["auth.User"] and before["admin.LogEntry"]
    backup = tmp_path / "register.json.gz"
    call_command("backup_register", str(backup))

    call_command("flush", interactive=False, verbosity=0)
    assert not Concern.objects.exists() and not Concern.history.exists()

    call_command("restore_register", str(backup))
    after = snapshot()
    assert after.keys() == before.keys()
    for label in before:
        assert after[label] == before[label], label
    restored = Concern.objects.get(pk=busy_register.pk)
    assert restored.title == "Edited title — 中文 — עברית — 🚩"
    assert restored.history.first().history_user.username == "analyst"
    assert restored.owner.groups.filter(name=ANALYST).exists()


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_to_overwrite_without_replace(busy_register, tmp_path):
    backup = tmp_path / "register.json"
    call_command("backup_register", str(backup))
    with pytest.raises(CommandError, match="--replace"):
        call_command("restore_register", str(backup))
    Concern.objects.filter(pk=busy_register.pk).update(title="changed after the backup")
    call_command("restore_register", str(backup), "--replace")
    assert Concern.objects.get(pk=busy_register.pk).title.startswith("Edited title")
