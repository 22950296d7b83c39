"""The permission matrix: every URL the project serves, for every role.

URL patterns come from the resolver, so pages added later are covered without editing this
file; their path parameters are filled with seeded objects of the view's model.
"""

import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from riskreg.models import Concern, Region
from riskreg.roles import ADMINISTRATOR, ANALYST, ROLES, VIEWER

from .roles import make_user

# Pages anyone may open: logging in and resetting a forgotten password.
PUBLIC = {
    "login",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}
# Names that say a page changes data; any other page is a read.
EDIT_WORDS = re.compile(r"(^|_)(add|create|new|edit|update|change|delete|import)(_|$)")
REGISTER = apps.get_app_config("riskreg")


def walk(patterns, prefix: str = "", namespace: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue  # admin is checked model by model below
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield namespace + entry.name, prefix + str(entry.pattern), entry


PATTERNS = sorted(
    {(name, route): entry for name, route, entry in walk(get_resolver().url_patterns)}.items(),
    key=lambda item: item[0],
)
PROTECTED = [(name, entry) for (name, _route), entry in PATTERNS if name not in PUBLIC]


def model_of(name: str, entry: URLPattern):
    """The model a URL shows: the view's ``model`` if it declares one, else the name's first word."""
    view_class = getattr(entry.callback, "view_class", None)
    model = getattr(view_class, "model", None)
    if model is not None:
        return model
    try:
        return REGISTER.get_model(name.split(":")[-1].split("_")[0])
    except LookupError:
        return None


def url_for(name: str, entry: URLPattern) -> str:
    """Reverse a pattern, filling each path parameter with a seeded object's key."""
    params = list(entry.pattern.converters)
    if not params:
        return reverse(name)
    model = model_of(name, entry)
    assert model is not None, f"{name}: cannot tell which model fills {params}"
    obj = model.objects.order_by("pk").first()
    assert obj is not None, f"{name}: the seeds hold no {model.__name__}"
    kwargs = {param: getattr(obj, "slug" if param == "slug" else "pk") for param in params}
    return reverse(name, kwargs=kwargs)


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_matrix_sees_the_project_urls():
    names = {name for (name, _route), _entry in PATTERNS}
    assert {"dashboard", "login", "password_change"} <= names


def test_roles_exist_as_groups(db):
    assert set(Group.objects.filter(name__in=ROLES).values_list("name", flat=True)) == set(ROLES)


@pytest.mark.parametrize(("name", "entry"), PROTECTED, ids=[name for name, _ in PROTECTED])
def test_anonymous_is_sent_to_login(seeded, client, name, entry):
    response = client.get(url_for(name, entry))
    assert is_login_redirect(response), (name, response.status_code)


@pytest.mark.parametrize(("name", "entry"), PROTECTED, ids=[name for name, _ in PROTECTED])
def test_viewer_reads_and_cannot_edit(seeded, client, django_user_model, name, entry):
    client.force_login(make_user(django_user_model, VIEWER))
    url = url_for(name, entry)
    if EDIT_WORDS.search(name.split(":")[-1]) and not name.startswith("password_"):
        assert client.get(url).status_code == 403, name
        assert client.post(url, {}).status_code == 403, name
    else:
        response = client.get(url, follow=True)
        assert response.status_code == 200, (name, response.redirect_chain)
        assert reverse("login") not in response.request["PATH_INFO"], name


@pytest.mark.parametrize(("name", "entry"), PROTECTED, ids=[name for name, _ in PROTECTED])
def test_user_without_a_role_gets_403_on_register_pages(seeded, client, django_user_model, name, entry):
    if name.startswith("password_"):
        pytest.skip("changing one's own password needs no role")
    client.force_login(make_user(django_user_model, None))
    assert client.get(url_for(name, entry)).status_code == 403, name


# --- admin: the same permissions -----------------------------------------------------------

ADMIN_MODELS = [m for m in REGISTER.get_models() if admin.site.is_registered(m)]
ANALYST_MODELS = {"site", "concern", "measure", "engagement", "enterprise", "organisation"}


def admin_url(model, action: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m.__name__)
def test_staff_viewer_sees_admin_read_only(seeded, client, django_user_model, model):
    client.force_login(make_user(django_user_model, VIEWER))
    obj = model.objects.order_by("pk").first()
    assert client.get(admin_url(model, "changelist")).status_code == 200
    page = client.get(admin_url(model, "change", obj.pk))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()  # a read-only view, no save button
    assert client.post(admin_url(model, "change", obj.pk), {}).status_code == 403
    assert client.get(admin_url(model, "add")).status_code == 403
    assert client.get(admin_url(model, "delete", obj.pk)).status_code == 403
    if hasattr(model, "history"):
        assert client.get(admin_url(model, "history", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m.__name__)
def test_analyst_edits_register_records_but_not_geography_or_deletes(seeded, client, django_user_model, model):
    client.force_login(make_user(django_user_model, ANALYST))
    obj = model.objects.order_by("pk").first()
    editable = model._meta.model_name in ANALYST_MODELS
    change = client.get(admin_url(model, "change", obj.pk))
    assert change.status_code == 200
    assert ('name="_save"' in change.content.decode()) == editable
    assert client.get(admin_url(model, "add")).status_code == (200 if editable else 403)
    assert client.get(admin_url(model, "delete", obj.pk)).status_code == 403


def test_analyst_saves_a_concern_through_admin(seeded, client, django_user_model):
    from .adminforms import change_form_data

    client.force_login(make_user(django_user_model, ANALYST))
    concern = Concern.objects.order_by("pk").first()
    data = change_form_data(client, concern)
    data["status"] = "monitoring"
    response = client.post(admin_url(Concern, "change", concern.pk), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    concern.refresh_from_db()
    assert concern.status == "monitoring"


def test_viewer_cannot_change_a_region_by_posting(seeded, client, django_user_model):
    client.force_login(make_user(django_user_model, VIEWER))
    region = Region.objects.first()
    before = region.name
    client.post(admin_url(Region, "change", region.pk), {"name": "Hacked", "country": "KG"})
    region.refresh_from_db()
    assert region.name == before


@pytest.mark.parametrize(
    ("role", "expected"), [(VIEWER, 403), (ANALYST, 403), (ADMINISTRATOR, 200)], ids=[VIEWER, ANALYST, ADMINISTRATOR]
)
def test_only_administrators_manage_users(db, client, django_user_model, role, expected):
    client.force_login(make_user(django_user_model, role))
    assert client.get(reverse("admin:auth_user_add")).status_code == expected
    assert client.get(reverse("admin:auth_group_changelist")).status_code == expected


def test_administrator_may_delete_and_edit_geography(seeded, client, django_user_model):
    client.force_login(make_user(django_user_model, ADMINISTRATOR))
    concern = Concern.objects.order_by("pk").first()
    assert client.get(admin_url(Concern, "delete", concern.pk)).status_code == 200
    assert client.get(admin_url(Region, "add")).status_code == 200
