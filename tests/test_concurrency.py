"""No lost updates: the later of two concurrent edits is refused, the earlier one survives."""

import pytest
from concurrency.exceptions import RecordModifiedError
from django.db import transaction
from django.test import Client

from riskreg.models import Concern, Engagement, Enterprise, Measure, Organisation, Site

from .adminforms import admin_change_url, change_form_data
from .roles import ANALYST, make_user

STALE = "Someone else saved this record after you opened it"


@pytest.fixture
def two_analysts(seeded, django_user_model):
    clients = []
    for name in ("alice", "bob"):
        client = Client()
        client.force_login(make_user(django_user_model, ANALYST, name))
        clients.append(client)
    return clients


# Each editable model and a text field both users change.
EDITABLE = [
    (Concern, "title"),
    (Site, "notes"),
    (Enterprise, "notes"),
    (Organisation, "notes"),
    (Engagement, "summary"),
    (Measure, "description"),
]


@pytest.mark.parametrize(("model", "field"), EDITABLE, ids=[m.__name__ for m, _ in EDITABLE])
def test_second_admin_save_is_refused_and_first_edit_kept(two_analysts, model, field):
    alice, bob = two_analysts
    obj = model.objects.order_by("pk").first()
    url = admin_change_url(obj)
    alice_form = change_form_data(alice, obj)
    bob_form = change_form_data(bob, obj)  # both opened the record before either saved

    alice_form[field] = "Alice's edit"
    response = alice.post(url, alice_form)
    assert response.status_code == 302, response.content.decode()[:3000]

    bob_form[field] = "Bob's edit"
    response = bob.post(url, bob_form)
    assert response.status_code == 200  # the form comes back with the error, Bob's text still in it
    page = response.content.decode()
    assert STALE in page
    assert "Bob&#x27;s edit" in page or "Bob's edit" in page

    obj.refresh_from_db()
    assert getattr(obj, field) == "Alice's edit"
    # The audit trail holds Alice's edit and nothing of Bob's refused one.
    assert getattr(obj.history.first(), field) == "Alice's edit"
    assert not obj.history.filter(**{field: "Bob's edit"}).exists()


def test_reloading_after_a_refusal_lets_the_second_user_save(two_analysts):
    alice, bob = two_analysts
    concern = Concern.objects.order_by("pk").first()
    url = admin_change_url(concern)
    alice_form, bob_form = change_form_data(alice, concern), change_form_data(bob, concern)
    alice_form["title"] = "Alice's title"
    assert alice.post(url, alice_form).status_code == 302
    bob_form["status"] = "monitoring"
    assert bob.post(url, bob_form).status_code == 200
    fresh = change_form_data(bob, concern)
    assert fresh["title"] == "Alice's title"
    fresh["status"] = "monitoring"
    assert bob.post(url, fresh).status_code == 302
    concern.refresh_from_db()
    assert (concern.title, concern.status) == ("Alice's title", "monitoring")


def test_tampered_version_is_rejected(two_analysts):
    alice, _bob = two_analysts
    concern = Concern.objects.order_by("pk").first()
    form = change_form_data(alice, concern)
    form["version"] = "12345"  # unsigned: not a version the server handed out
    form["title"] = "Forged"
    response = alice.post(admin_change_url(concern), form)
    assert response.status_code == 400
    concern.refresh_from_db()
    assert concern.title != "Forged"


def test_stale_model_save_is_refused(seeded):
    first = Concern.objects.order_by("pk").first()
    second = Concern.objects.get(pk=first.pk)
    first.title = "First"
    first.save()
    second.title = "Second"
    with pytest.raises(RecordModifiedError), transaction.atomic():
        second.save()
    first.refresh_from_db()
    assert first.title == "First"


def test_a_save_losing_the_race_after_validation_gets_a_409_page(two_analysts, monkeypatch):
    """Both forms validate, then the other save lands first: the UPDATE itself refuses."""
    from riskreg import locking

    alice, _bob = two_analysts
    concern = Concern.objects.order_by("pk").first()
    form = change_form_data(alice, concern)
    form["title"] = "Alice's title"
    monkeypatch.setattr(locking.VersionedModelForm, "clean", lambda self: self.cleaned_data)

    sneaked = []

    def sneak_in(instance, **kwargs):
        if sneaked:
            return
        sneaked.append(instance)
        other = Concern.objects.get(pk=concern.pk)
        other.title = "Someone else's title"
        other.save()

    from django.db.models.signals import pre_save

    pre_save.connect(sneak_in, sender=Concern, dispatch_uid="sneak")
    # The library's middleware reports the conflict as a request exception, which the test
    # client would re-raise; a real server returns the 409 page.
    alice.raise_request_exception = False
    try:
        response = alice.post(admin_change_url(concern), form)
    finally:
        pre_save.disconnect(dispatch_uid="sneak", sender=Concern)
    assert response.status_code == 409
    assert STALE in response.content.decode()
    concern.refresh_from_db()
    # In this test the other save ran inside the admin's transaction, so it was rolled back with it;
    # what matters is that Alice's stale save did not overwrite anything.
    assert concern.title != "Alice's title"
