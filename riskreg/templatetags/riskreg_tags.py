"""Template helpers shared by the register's pages."""

from django import template

from .. import tables

register = template.Library()


@register.simple_tag
def level_badge(level: int | None) -> str:
    """A risk level as the same coloured badge the tables show."""
    return tables.level_badge(level)
