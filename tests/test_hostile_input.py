"""Hostile input typed into every text field through admin is stored exactly, shown escaped,
and refused with a clear message when it cannot be stored."""

import re

import pytest
from django.apps import apps
from django.contrib import admin

from riskreg.models import Concern, Engagement, Site

from .adminforms import admin_change_url, change_form_data
from .hostile import LONG, MIXED, MIXED_2, RAW_MARKERS, text_fields, values_for

MODELS = [m for m in apps.get_app_config("riskreg").get_models() if admin.site.is_registered(m)]


def models_with_text():
    return [m for m in MODELS if text_fields(m)]


def assert_escaped(page: str, where: str) -> None:
    for marker in RAW_MARKERS:
        assert marker not in page, (where, marker)


@pytest.mark.parametrize("model", models_with_text(), ids=lambda m: m.__name__)
def test_hostile_text_round_trips_through_admin_exactly(seeded, admin_client, model):
    obj = model.objects.order_by("pk").first()
    fields = text_fields(model)
    typed = values_for(fields, [MIXED, MIXED_2])
    data = change_form_data(admin_client, obj)
    data.update(typed)
    response = admin_client.post(admin_change_url(obj), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    obj.refresh_from_db()
    for name, value in typed.items():
        assert getattr(obj, name) == value, name  # nothing lost, truncated or normalised
    # Shown escaped in the change form, the changelist and the history page.
    for url in [admin_change_url(obj), admin_change_url(obj).replace(f"{obj.pk}/change/", "")]:
        page = admin_client.get(url).content.decode()
        assert_escaped(page, url)
    if hasattr(model, "history"):
        page = admin_client.get(admin_change_url(obj).replace("/change/", "/history/")).content.decode()
        assert_escaped(page, "history")


@pytest.mark.parametrize("model", models_with_text(), ids=lambda m: m.__name__)
def test_over_long_text_gets_a_clear_error_and_nothing_is_saved(seeded, admin_client, model):
    obj = model.objects.order_by("pk").first()
    for field in text_fields(model):
        if field.max_length is None:
            continue
        before = getattr(obj, field.name)
        data = change_form_data(admin_client, obj)
        data[field.name] = LONG
        response = admin_client.post(admin_change_url(obj), data)
        assert response.status_code == 200, field.name
        errors = response.context["adminform"].form.errors[field.name]
        assert errors == [f"Ensure this value has at most {field.max_length} characters (it has 10000)."]
        obj.refresh_from_db()
        assert getattr(obj, field.name) == before


@pytest.mark.parametrize("model", models_with_text(), ids=lambda m: m.__name__)
def test_nul_bytes_get_a_clear_error_in_every_text_field(seeded, admin_client, model):
    """PostgreSQL cannot store NUL; the form says so instead of failing with a server error."""
    obj = model.objects.order_by("pk").first()
    for field in text_fields(model):
        data = change_form_data(admin_client, obj)
        data[field.name] = "before\x00after"
        response = admin_client.post(admin_change_url(obj), data)
        assert response.status_code == 200, field.name
        assert response.context["adminform"].form.errors[field.name] == ["Null characters are not allowed."]


def test_participant_inline_keeps_hostile_text(seeded, admin_client):
    engagement = Engagement.objects.filter(participants__isnull=False).first()
    data = change_form_data(admin_client, engagement)
    data["participants-0-name"] = MIXED[:200]
    data["participants-0-role"] = MIXED_2[:200]
    assert admin_client.post(admin_change_url(engagement), data).status_code == 302
    participant = engagement.participants.order_by("id").first()
    assert (participant.name, participant.role) == (MIXED[:200], MIXED_2[:200])


def test_every_register_page_shows_hostile_text_escaped(seeded, admin_client):
    """After hostile text everywhere, no page of the project renders it as markup."""
    from .test_permissions import PROTECTED, url_for

    for model in models_with_text():
        for obj in model.objects.all():
            for field in text_fields(model):
                value = values_for([field], [f"{obj.pk} {MIXED}"])[field.name]  # numbered: names are unique
                setattr(obj, field.name, value)
            obj.save()
    for name, entry in PROTECTED:
        response = admin_client.get(url_for(name, entry), follow=True)
        assert response.status_code == 200, name
        if response.get("Content-Type", "").startswith("text/html"):
            assert_escaped(response.content.decode(), name)
    assert Concern.objects.filter(title__contains="<script>alert(1)</script>").exists()
    assert Site.objects.filter(name__contains="<script>alert(1)</script>").exists()


@pytest.mark.parametrize("list_url", ["/concerns/", "/sites/", "/enterprises/", "/measures/", "/engagements/"])
def test_csv_export_keeps_hostile_text_formula_safe(seeded, admin_client, list_url):
    """Text a spreadsheet would run as a formula is exported with a leading apostrophe, otherwise intact."""
    import csv
    import io

    formula = '=HYPERLINK("http://evil.example/","click")'
    for model in models_with_text():
        for obj in model.objects.all():
            for field in text_fields(model):
                value = f"{formula}{obj.pk}" if field.name in ("name", "title") else f"{MIXED_2} {obj.pk}"
                setattr(obj, field.name, value[: field.max_length] if field.max_length else value)
            obj.save()
    response = admin_client.get(list_url, {"_export": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    cells = [cell for row in rows[1:] for cell in row]
    assert cells, list_url
    numbers = re.compile(r"-?\d+(\.\d+)?")  # numbers are exported as numbers, signs included
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r") and not numbers.fullmatch(c)]
    assert any(c.startswith("'" + formula) for c in cells), list_url
