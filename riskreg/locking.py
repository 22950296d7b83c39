"""No lost updates: forms and admin refuse a save based on a stale copy of a record.

The models carry a django-concurrency version field, sent along with every edit form as a
signed hidden value. The check runs twice: in the form's ``clean()`` (so the user gets a form
error and keeps what they typed) and in the database UPDATE itself (``WHERE version = …``),
which also catches a save racing between the two.
"""

from typing import Any

from concurrency.admin import ConcurrentModelAdmin
from concurrency.config import CONCURRENCY_LIST_EDITABLE_POLICY_ABORT_ALL
from concurrency.exceptions import RecordModifiedError
from concurrency.forms import ConcurrentForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

STALE_EDIT = _(
    "Someone else saved this record after you opened it, so your changes were not saved. "
    "Open the record again to see their version, then make your changes once more."
)


class VersionedModelForm(ConcurrentForm):
    """A ModelForm that refuses to save over a newer version of its record."""

    def clean(self) -> dict[str, Any]:
        version_field = self.instance._concurrencymeta.field.name
        if self.instance.pk and version_field in self.cleaned_data:
            current = (
                type(self.instance)._base_manager.filter(pk=self.instance.pk).values_list(version_field, flat=True)
            )
            if list(current) != [self.cleaned_data[version_field]]:
                raise ValidationError({NON_FIELD_ERRORS: [STALE_EDIT]}, code="stale")
        return super(ConcurrentForm, self).clean()


class VersionedAdmin(ConcurrentModelAdmin):
    """Admin mixin: change forms carry the record's version and stale saves are refused."""

    form = VersionedModelForm
    # The library's default policy swallows a conflicting save and reports success; abort instead,
    # so the user sees the conflict page and the other person's save stands.
    list_editable_policy = CONCURRENCY_LIST_EDITABLE_POLICY_ABORT_ALL


def conflict(request: HttpRequest, target: Any = None) -> HttpResponse:
    """CONCURRENCY_HANDLER409: a save lost the race after its form was validated."""
    return TemplateResponse(request, "409.html", {"message": STALE_EDIT, "target": target}, status=409).render()


__all__ = ["STALE_EDIT", "RecordModifiedError", "VersionedAdmin", "VersionedModelForm", "conflict"]
