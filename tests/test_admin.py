import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from riskreg.models import Concern

MODELS = [m for m in apps.get_app_config("riskreg").get_models() if admin.site.is_registered(m)]


def admin_url(model, action: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_admin_page_renders_for_staff(seeded, admin_client, model):
    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    assert admin_client.get(admin_url(model, "changelist"), {"q": "gold"}).status_code == 200
    assert admin_client.get(admin_url(model, "add")).status_code == 200
    obj = model.objects.first()
    assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200


def test_every_register_model_has_an_admin():
    registered = {m.__name__ for m in MODELS}
    assert registered >= {
        "Region",
        "District",
        "Organisation",
        "Enterprise",
        "Site",
        "Engagement",
        "Concern",
        "Measure",
    }


def test_seeded_concern_shows_its_source_and_measures_in_admin(seeded, admin_client):
    concern = Concern.objects.get(site__enterprise__name="Full Gold Mining")
    page = admin_client.get(admin_url(Concern, "change", concern.pk)).content.decode()
    assert "Kazakbaev receives Chinese Ambassador" in page
    assert "Round table with Chinese enterprises" in page
    assert "High" in page  # the derived level, shown read-only


def test_admin_edit_is_recorded_in_history_with_the_changed_field(seeded, admin_client, django_user_model):
    concern = Concern.objects.get(site__enterprise__name="Full Gold Mining")
    concern.changeReason = None
    concern.status = "monitoring"
    concern._history_user = django_user_model.objects.get(username="boss")
    concern.save()
    latest, previous = concern.history.all()[:2]
    delta = latest.diff_against(previous)
    assert [(c.field, c.old, c.new) for c in delta.changes] == [("status", "open", "monitoring")]
    assert latest.history_user.username == "boss"
    page = admin_client.get(admin_url(Concern, "history", concern.pk)).content.decode()
    assert "boss" in page and "monitoring" in page


def test_admin_form_refuses_out_of_range_coordinates(seeded, admin_client):
    from riskreg.models import Site

    site = Site.objects.get(locality="Kaindy")
    response = admin_client.post(
        admin_url(Site, "change", site.pk),
        {
            "enterprise": site.enterprise_id,
            "name": site.name,
            "kind": site.kind,
            "status": site.status,
            "district": site.district_id,
            "locality": "Kaindy",
            "latitude": "95",
            "longitude": "73.6",
            "precision": "locality",
            "notes": "",
        },
    )
    assert response.status_code == 200  # the form comes back with errors
    assert "Ensure this value is less than or equal to 90" in response.content.decode()
    site.refresh_from_db()
    assert site.latitude < 90


def test_anonymous_users_are_sent_to_login(client, seeded):
    for url in ["/", admin_url(Concern, "changelist")]:
        response = client.get(url)
        assert response.status_code == 302
        assert "login" in response["Location"]
