"""Django admin: where staff edit the register. Each class declares what to list,
filter and search; the rules themselves live on the models."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .locking import VersionedAdmin
from .models import Concern, District, Engagement, Enterprise, Measure, Organisation, Participant, Region, Site

admin.site.site_header = _("riskreg administration")
admin.site.site_title = _("riskreg")
admin.site.index_title = _("Register administration")


class DistrictInline(admin.TabularInline):
    model = District
    extra = 0


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "country"]
    list_filter = ["country"]
    search_fields = ["name"]
    inlines = [DistrictInline]


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["name", "region"]
    list_filter = ["region__country", "region"]
    list_select_related = ["region"]
    search_fields = ["name", "region__name"]
    autocomplete_fields = ["region"]


@admin.register(Organisation)
class OrganisationAdmin(VersionedAdmin, SimpleHistoryAdmin):
    list_display = ["name", "kind", "country"]
    list_filter = ["kind", "country"]
    search_fields = ["name", "notes"]


class SiteInline(admin.StackedInline):
    model = Site
    extra = 0
    autocomplete_fields = ["district"]
    fields = [("name", "kind", "status"), ("district", "locality"), ("latitude", "longitude", "precision")]
    show_change_link = True


@admin.register(Enterprise)
class EnterpriseAdmin(VersionedAdmin, SimpleHistoryAdmin):
    list_display = ["name", "origin_country", "sector", "status", "parent"]
    list_filter = ["origin_country", "sector", "status"]
    list_select_related = ["parent"]
    search_fields = ["name", "notes", "parent__name"]
    autocomplete_fields = ["parent"]
    inlines = [SiteInline]


@admin.register(Site)
class SiteAdmin(VersionedAdmin, SimpleHistoryAdmin):
    list_display = ["name", "enterprise", "kind", "district", "locality", "precision", "status"]
    list_filter = ["kind", "status", "precision", "district__region__country", "district__region"]
    list_select_related = ["enterprise", "district__region"]
    search_fields = ["name", "locality", "enterprise__name", "district__name"]
    autocomplete_fields = ["enterprise", "district"]
    fieldsets = [
        (None, {"fields": ["enterprise", "name", "kind", "status"]}),
        (_("Location"), {"fields": ["district", "locality", ("latitude", "longitude"), "precision"]}),
        (_("Notes"), {"fields": ["notes", "version"]}),
    ]


class ParticipantInline(admin.TabularInline):
    model = Participant
    extra = 0
    autocomplete_fields = ["organisation"]


@admin.register(Engagement)
class EngagementAdmin(VersionedAdmin, SimpleHistoryAdmin):
    list_display = ["title", "kind", "date", "date_precision"]
    list_filter = ["kind", "date_precision"]
    search_fields = ["title", "summary", "source", "participants__name"]
    date_hierarchy = "date"
    autocomplete_fields = ["organisations"]
    inlines = [ParticipantInline]


class MeasureInline(admin.TabularInline):
    """The measures addressing a concern, reachable from the concern's page."""

    model = Measure.concerns.through
    extra = 0
    autocomplete_fields = ["measure"]
    verbose_name = _("measure addressing this concern")
    verbose_name_plural = _("measures addressing this concern")


@admin.register(Concern)
class ConcernAdmin(VersionedAdmin, SimpleHistoryAdmin):
    list_display = ["title", "enterprise", "site", "category", "level", "status", "owner", "raised_on", "next_review"]
    list_filter = ["level", "status", "category", "origin_country", "country", "owner"]
    list_select_related = ["enterprise", "site", "owner"]
    search_fields = ["title", "description", "enterprise__name", "site__name"]
    date_hierarchy = "raised_on"
    autocomplete_fields = ["enterprise", "site", "raised_by", "raised_at", "owner"]
    readonly_fields = ["level", "created", "updated"]
    inlines = [MeasureInline]
    fieldsets = [
        (None, {"fields": ["title", "description", "category"]}),
        (_("Subject"), {"fields": ["enterprise", "site", "country", "origin_country"]}),
        (_("Source"), {"fields": ["raised_by", "raised_at", "raised_on"]}),
        (_("Assessment"), {"fields": [("likelihood", "impact", "level")]}),
        (_("Follow-up"), {"fields": ["status", "closure_reason", "owner", "next_review"]}),
        (_("Record"), {"fields": ["created", "updated", "version"]}),
    ]


@admin.register(Measure)
class MeasureAdmin(VersionedAdmin, SimpleHistoryAdmin):
    list_display = ["title", "status", "proposed_by", "due"]
    list_filter = ["status", "responsible"]
    list_select_related = ["proposed_by"]
    search_fields = ["title", "description"]
    date_hierarchy = "due"
    autocomplete_fields = ["proposed_by", "proposed_at", "responsible", "concerns"]
