"""Users in each role, for tests. Role users are staff so that they can use admin too."""

from django.contrib.auth.models import Group

from riskreg.roles import ADMINISTRATOR, ANALYST, VIEWER


def make_user(django_user_model, role: str | None, username: str | None = None, *, staff: bool = True):
    username = username or (role or "norole").lower()
    password = f"pw-{username}-123"
    user = django_user_model.objects.create_user(username, password=password, is_staff=staff)
    if role:
        user.groups.add(Group.objects.get(name=role))
    user._test_password = password
    return user


__all__ = ["ADMINISTRATOR", "ANALYST", "VIEWER", "make_user"]
