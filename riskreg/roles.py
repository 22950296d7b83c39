"""The register's roles, kept as Django groups so that views and admin check the same permissions.

- Viewer reads everything in the register, its history included, and exports it.
- Analyst also adds and changes the register's records: sites, concerns, measures, engagements and
  their participants, and the enterprises and organisations they refer to. Recording a concern raised
  at a meeting often means recording a company or ministry the register has not seen before; an
  analyst who had to wait for an administrator for that would type it into free text instead.
  Deleting anything, and the reference geography (regions, districts), stay with administrators,
  so the audit trail cannot be thinned out by the people who write it.
- Administrator has every register permission plus user and group management and the login-lockout
  records (to unlock an account).

The groups are created by a data migration and brought up to date after every ``migrate``
(post_migrate), so permissions of models added later join the right role without a new migration.
Permissions are only ever added by this sync, never removed, so an administrator may grant more.
"""

from typing import Any

from django.db.models import Q

VIEWER = "Viewer"
ANALYST = "Analyst"
ADMINISTRATOR = "Administrator"
ROLES = (VIEWER, ANALYST, ADMINISTRATOR)

# Models whose records analysts add and change (model names, lower case).
ANALYST_EDITS = ("site", "concern", "measure", "engagement", "participant", "enterprise", "organisation")
# Apps whose permissions administrators hold besides the register itself.
ADMINISTRATOR_APPS = ("riskreg", "auth", "axes")


def role_permissions(permission_model: Any) -> dict[str, Any]:
    """The permission queryset of each role, given the Permission model (real or historical)."""
    register = Q(content_type__app_label="riskreg")
    reads = register & (Q(codename__startswith="view_") | Q(codename__startswith="export_"))
    edits = register & Q(codename__in=[f"{action}_{model}" for model in ANALYST_EDITS for action in ("add", "change")])
    everything = Q(content_type__app_label__in=ADMINISTRATOR_APPS)
    objects = permission_model.objects
    return {
        VIEWER: objects.filter(reads),
        ANALYST: objects.filter(reads | edits),
        ADMINISTRATOR: objects.filter(everything),
    }


def sync_roles(group_model: Any, permission_model: Any) -> None:
    """Create the role groups if missing and give each the permissions its role includes."""
    for name, permissions in role_permissions(permission_model).items():
        group, _created = group_model.objects.get_or_create(name=name)
        group.permissions.add(*permissions)


def sync_roles_after_migrate(using: str = "default", **kwargs: Any) -> None:
    """post_migrate receiver: keep the role groups in step with the models' permissions."""
    from django.contrib.auth.models import Group, Permission

    for name, permissions in role_permissions(Permission).items():
        group, _created = Group.objects.using(using).get_or_create(name=name)
        group.permissions.add(*permissions.using(using))
