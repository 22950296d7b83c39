"""The register: who is exposed (enterprises and their sites), what was flagged about
them (concerns), what was promised (measures), and where each fact came from
(engagements: meetings, statements, notes).

Integrity rules are declared twice on purpose: as database constraints, so no code
path can store a broken row, and in ``clean()``, so forms and admin explain the
problem to the user instead of failing with an IntegrityError.
"""

import datetime
from decimal import Decimal
from typing import Any

from concurrency.fields import IntegerVersionField
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models
from django.db.models import F, OuterRef, Q, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords


class EditVersionField(IntegerVersionField):
    """django-concurrency's version field with a database default of 0 as well, so rows that bulk
    loaders insert with plain SQL or COPY (demo data, imports) get a version without naming it."""

    def __init__(self, *args: Any, db_default: Any = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.db_default = db_default if hasattr(db_default, "resolve_expression") else Value(db_default)

    def deconstruct(self) -> tuple[str, str, list, dict]:
        name, _path, args, kwargs = super().deconstruct()
        return name, "riskreg.models.EditVersionField", args, kwargs


def version_field() -> EditVersionField:
    """Optimistic locking: a save from a form loaded before someone else's save is refused
    (django-concurrency), instead of silently overwriting that other save."""
    return EditVersionField(
        verbose_name=_("version"), help_text=_("Changes on every save; guards against lost updates.")
    )


# --- Administrative geography -------------------------------------------------


class RegionManager(models.Manager):
    def get_by_natural_key(self, country: str, name: str) -> "Region":
        return self.get(country=country, name=name)


class Region(models.Model):
    """First-level division of a country: an oblast, province or state."""

    country = CountryField(_("country"))
    name = models.CharField(_("name"), max_length=100)

    # Backups refer to regions by (country, name), as the seeds do.
    objects = RegionManager()

    class Meta:
        ordering = ["country", "name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        constraints = [models.UniqueConstraint(fields=["country", "name"], name="region_unique_name_per_country")]

    def __str__(self) -> str:
        return f"{self.name}, {self.country.name}"

    def natural_key(self) -> tuple[str, str]:
        return (self.country.code, self.name)


class District(models.Model):
    """Second-level division: a rayon or district. A site's district fixes its region and country."""

    region = models.ForeignKey(Region, models.PROTECT, related_name="districts", verbose_name=_("region"))
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["region__country", "region__name", "name"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="district_unique_name_per_region")]

    def __str__(self) -> str:
        return f"{self.name}, {self.region.name}"


# --- Parties -------------------------------------------------------------------


class Organisation(models.Model):
    """A government body, embassy, company or owner: raises concerns, answers for measures."""

    class Kind(models.TextChoices):
        GOVERNMENT = "government", _("Government")
        MINISTRY = "ministry", _("Ministry or agency")
        EMBASSY = "embassy", _("Embassy or consulate")
        COMPANY = "company", _("Company or owner")
        ASSOCIATION = "association", _("Business association")
        INTERNATIONAL = "international", _("International organisation")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    country = CountryField(_("country"), blank=True)
    notes = models.TextField(_("notes"), blank=True)

    version = version_field()
    history = HistoricalRecords(excluded_fields=["version"])

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [models.UniqueConstraint(fields=["name", "country"], name="organisation_unique_name_per_country")]

    def __str__(self) -> str:
        return self.name


# --- Who is exposed --------------------------------------------------------------


class Sector(models.TextChoices):
    MINING = "mining", _("Mining")
    MANUFACTURING = "manufacturing", _("Manufacturing")
    ENERGY = "energy", _("Energy")
    CONSTRUCTION = "construction", _("Construction and infrastructure")
    AGRICULTURE = "agriculture", _("Agriculture")
    TRADE = "trade", _("Trade and retail")
    TRANSPORT = "transport", _("Transport and logistics")
    TELECOM = "telecom", _("Telecommunications")
    FINANCE = "finance", _("Finance")
    OTHER = "other", _("Other")


class Enterprise(models.Model):
    """A foreign-invested company operating in the host country."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        CLOSED = "closed", _("Closed")
        UNKNOWN = "unknown", _("Unknown")

    name = models.CharField(_("name"), max_length=200, unique=True)
    origin_country = CountryField(_("origin country"))
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices)
    parent = models.ForeignKey(
        Organisation,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="enterprises",
        verbose_name=_("owner or parent"),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    notes = models.TextField(_("notes"), blank=True)

    version = version_field()
    history = HistoricalRecords(excluded_fields=["version"])

    class Meta:
        ordering = ["name"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("enterprise_detail", args=[self.pk])


class SiteQuerySet(models.QuerySet):
    def with_highest_open_level(self) -> "SiteQuerySet":
        """Annotate ``highest_open_level``: the highest level among the site's open concerns, or None.

        A correlated subquery rather than a join with GROUP BY, so that it composes with
        other annotations and filters, and the list and the map count each site once."""
        highest = Concern.objects.open().filter(site=OuterRef("pk")).order_by("-level").values("level")[:1]
        return self.annotate(highest_open_level=Subquery(highest, output_field=models.PositiveSmallIntegerField()))

    def highest_open_level_is(self, level: int) -> "SiteQuerySet":
        """The sites whose highest open level is ``level``: as filtering with_highest_open_level(),
        but found through the concerns' level index rather than a subquery per site, which took
        seconds at a million concerns (make bench)."""
        open_concerns = Concern.objects.open().filter(site__isnull=False)
        at_level = open_concerns.filter(level=level).values("site")
        return self.filter(pk__in=at_level).exclude(pk__in=open_concerns.filter(level__gt=level).values("site"))


class Site(models.Model):
    """A place where an enterprise operates: a mine, a plant, an office."""

    class Kind(models.TextChoices):
        MINE = "mine", _("Mine")
        PLANT = "plant", _("Plant or factory")
        OFFICE = "office", _("Office")
        WAREHOUSE = "warehouse", _("Warehouse")
        CONSTRUCTION = "construction", _("Construction site")
        FARM = "farm", _("Farm")
        OTHER = "other", _("Other")

    class Precision(models.TextChoices):
        """How far the stored coordinates may be from the real place."""

        EXACT = "exact", _("Exact")
        LOCALITY = "locality", _("Locality")
        DISTRICT = "district", _("District")
        REGION = "region", _("Region")

    class Status(models.TextChoices):
        OPERATING = "operating", _("Operating")
        PLANNED = "planned", _("Planned")
        SUSPENDED = "suspended", _("Suspended")
        CLOSED = "closed", _("Closed")
        UNKNOWN = "unknown", _("Unknown")

    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="sites", verbose_name=_("enterprise"))
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    district = models.ForeignKey(District, models.PROTECT, related_name="sites", verbose_name=_("district"))
    locality = models.CharField(_("locality"), max_length=200, blank=True, help_text=_("Town or village."))
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=8,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(-90)), MaxValueValidator(Decimal(90))],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(-180)), MaxValueValidator(Decimal(180))],
    )
    precision = models.CharField(
        _("location precision"), max_length=20, choices=Precision.choices, default=Precision.LOCALITY
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPERATING)
    notes = models.TextField(_("notes"), blank=True)

    version = version_field()
    history = HistoricalRecords(excluded_fields=["version"])
    objects = SiteQuerySet.as_manager()

    class Meta:
        ordering = ["enterprise__name", "name"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "name"], name="site_unique_name_per_enterprise"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="site_latitude_in_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="site_longitude_in_range",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="site_coordinates_both_or_neither",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("site_detail", args=[self.pk])

    def clean(self) -> None:
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationError(_("Give both latitude and longitude, or neither."))

    @property
    def region(self) -> Region:
        return self.district.region

    @property
    def is_approximate(self) -> bool:
        """True when the coordinates stand for a district or region rather than the place itself."""
        return self.precision in (self.Precision.DISTRICT, self.Precision.REGION)


# --- Sources ---------------------------------------------------------------------


class DatePrecision(models.TextChoices):
    """How much of a date the source states; the stored date is the first day of the period."""

    DAY = "day", _("Day")
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")


class Engagement(models.Model):
    """A meeting, statement or note that the register's facts come from."""

    class Kind(models.TextChoices):
        MEETING = "meeting", _("Meeting")
        STATEMENT = "statement", _("Public statement or press release")
        CORRESPONDENCE = "correspondence", _("Letter or note verbale")
        CALL = "call", _("Call")
        REPORT = "report", _("Report or media article")
        OTHER = "other", _("Other")

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    date = models.DateField(_("date"))
    date_precision = models.CharField(
        _("date precision"), max_length=10, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    organisations = models.ManyToManyField(
        Organisation, blank=True, related_name="engagements", verbose_name=_("organisations")
    )
    summary = models.TextField(_("summary"), blank=True)
    source = models.CharField(
        _("source reference"), max_length=500, blank=True, help_text=_("Publisher, title and date of the source.")
    )
    source_url = models.URLField(_("source URL"), max_length=500, blank=True)

    version = version_field()
    history = HistoricalRecords(m2m_fields=[organisations], excluded_fields=["version"])

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("engagement")
        verbose_name_plural = _("engagements")
        # The list's default order; without it every page sorts the whole table.
        indexes = [models.Index(fields=["-date", "-id"], name="engagement_newest")]

    def __str__(self) -> str:
        return f"{self.title} ({self.date_display})"

    def get_absolute_url(self) -> str:
        return reverse("engagement_detail", args=[self.pk])

    def clean(self) -> None:
        # A date known only to the month or year is stored as the first day of that period,
        # so that sorting and date-range filters treat it consistently.
        if self.date and self.date_precision == DatePrecision.MONTH and self.date.day != 1:
            raise ValidationError({"date": _("For a month-precision date, give the first day of the month.")})
        if self.date and self.date_precision == DatePrecision.YEAR and (self.date.month, self.date.day) != (1, 1):
            raise ValidationError({"date": _("For a year-precision date, give 1 January of the year.")})

    @property
    def date_display(self) -> str:
        if self.date_precision == DatePrecision.YEAR:
            return f"{self.date:%Y}"
        if self.date_precision == DatePrecision.MONTH:
            return f"{self.date:%Y-%m}"
        return self.date.isoformat()


class Participant(models.Model):
    """A person present at an engagement, in a stated role."""

    engagement = models.ForeignKey(
        Engagement, models.CASCADE, related_name="participants", verbose_name=_("engagement")
    )
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=200, blank=True, help_text=_("Position held at the time."))
    organisation = models.ForeignKey(
        Organisation, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("organisation")
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")

    def __str__(self) -> str:
        return f"{self.name} ({self.role})" if self.role else self.name


# --- Risk assessment --------------------------------------------------------------


class Level(models.IntegerChoices):
    """Risk level derived from likelihood × impact; the integer orders them."""

    LOW = 1, _("Low")
    MEDIUM = 2, _("Medium")
    HIGH = 3, _("High")
    CRITICAL = 4, _("Critical")

    @classmethod
    def from_score(cls, likelihood: int, impact: int) -> "Level":
        """Place a cell of the 5×5 matrix: a score of 1–4 is low, 5–9 medium, 10–16 high, 20–25 critical."""
        score = likelihood * impact
        for level, (_low, high) in LEVEL_SCORES.items():
            if score <= high:
                return level
        raise ValueError(score)

    @property
    def review_interval(self) -> datetime.timedelta:
        """How soon a concern at this level must be looked at again."""
        return datetime.timedelta(days={1: 360, 2: 180, 3: 90, 4: 90}[self.value])


# Score bands of the 5×5 matrix (likelihood × impact). The database enforces them too.
LEVEL_SCORES = {Level.LOW: (1, 4), Level.MEDIUM: (5, 9), Level.HIGH: (10, 16), Level.CRITICAL: (20, 25)}

SCALE_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]


class OverdueQuerySet(models.QuerySet):
    """Rows past their date; each subclass defines what that means in ``overdue_condition``."""

    @staticmethod
    def overdue_condition(today: datetime.date | None = None) -> Q:
        raise NotImplementedError

    def overdue(self, today: datetime.date | None = None) -> models.QuerySet:
        return self.filter(self.overdue_condition(today))

    def not_overdue(self, today: datetime.date | None = None) -> models.QuerySet:
        return self.exclude(self.overdue_condition(today))


class InSubquery(models.Expression):
    """``field IN (subquery)``, written on PostgreSQL as ``field = ANY(ARRAY(subquery))``.

    PostgreSQL runs ``IN (subquery)`` inside an OR as a filter on every row; the array form is
    computed once and then looked up in the field's index like a list of values, so an OR of
    such tests becomes a bitmap OR of index scans (at a million concerns, the first page's keys
    for a word in 50,000 titles: 0.43 s → 0.04 s)."""

    output_field = models.BooleanField()
    conditional = True

    def __init__(self, field: str, subquery: models.QuerySet) -> None:
        super().__init__()
        self.lhs, self.subquery = F(field), Subquery(subquery)

    def get_source_expressions(self) -> list[Any]:
        return [self.lhs, self.subquery]

    def set_source_expressions(self, exprs: list[Any]) -> None:
        self.lhs, self.subquery = exprs

    def as_sql(self, compiler: Any, connection: Any, template: str = "{field} IN {subquery}") -> tuple[str, list[Any]]:
        field, field_params = compiler.compile(self.lhs)
        subquery, subquery_params = compiler.compile(self.subquery)
        return template.format(field=field, subquery=subquery), [*field_params, *subquery_params]

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        return self.as_sql(compiler, connection, template="{field} = ANY(ARRAY{subquery})")


# The FTS5 table of concern titles on SQLite (see migration 0003_concern_search), and the
# shortest word its trigram index can look up.
SEARCH_INDEX_MIN_LENGTH = 3
SQLITE_SEARCH_SQL = "SELECT rowid FROM riskreg_concern_search WHERE riskreg_concern_search MATCH %s"


class ConcernQuerySet(OverdueQuerySet):
    @staticmethod
    def open_statuses() -> list[str]:
        """Every status but closed."""
        return [status for status in Concern.Status if status != Concern.Status.CLOSED]

    def open(self) -> "ConcernQuerySet":
        # A list of statuses rather than "not closed", so that the database can seek the status indexes.
        return self.filter(status__in=self.open_statuses())

    @staticmethod
    def overdue_condition(today: datetime.date | None = None) -> Q:
        """An open concern whose next review date has passed."""
        return Q(status__in=ConcernQuerySet.open_statuses(), next_review__lt=today or timezone.localdate())

    def search(self, text: str) -> "ConcernQuerySet":
        """Concerns in which every word of ``text`` appears, ignoring case, in the title or in the
        name of the concern's enterprise or site: the list's quick search.

        At a million concerns a plain ``icontains`` reads every title (about a second), so titles
        are looked up in a text index (migration 0003_concern_search): on PostgreSQL a trigram
        index on the expression ``icontains`` compares, on SQLite an FTS5 trigram table. The
        enterprise and site names are matched in their own, much smaller tables, and the concerns
        of the matching ones found through the concern's own indexes. One condition per word, each
        an OR of three indexed tests, so that the database combines the indexes (PostgreSQL's
        bitmap OR and AND, SQLite's multi-index OR) and reads each matching row once."""
        queryset = self
        for word in text.split():
            queryset = queryset.filter(self._word_condition(word))
        return queryset

    def _word_condition(self, word: str) -> Q:
        enterprises = Enterprise.objects.order_by().filter(name__icontains=word).values("pk")
        sites = Site.objects.order_by().filter(name__icontains=word).values("pk")
        return self._title_contains(word) | Q(InSubquery("enterprise", enterprises)) | Q(InSubquery("site", sites))

    def _title_contains(self, word: str) -> Q:
        # FTS5's trigram index needs at least three characters; shorter words read the table.
        if connections[self.db].vendor == "sqlite" and len(word) >= SEARCH_INDEX_MIN_LENGTH:
            # One FTS5 string (a phrase): any quote in it is doubled, and nothing else is special.
            phrase = '"' + word.replace('"', '""') + '"'
            # A constant table name; the user's text is a parameter.
            return Q(pk__in=RawSQL(SQLITE_SEARCH_SQL, [phrase]))  # noqa: S611
        return Q(title__icontains=word)

    def matrix_counts(self) -> list[tuple[str, int, int, int, int]]:
        """(status, level, likelihood, impact, count) for every combination present: one grouped
        pass that the (status, level, likelihood, impact) index answers on its own, from which
        the counts by level, by status and by matrix cell all follow."""
        return list(
            self.order_by()
            .values_list("status", "level", "likelihood", "impact")
            .annotate(n=models.Count("*"))
            .values_list("status", "level", "likelihood", "impact", "n")
        )


class Concern(models.Model):
    """A security risk flagged about an enterprise, one of its sites, or foreign investors at large."""

    class Category(models.TextChoices):
        PERSONNEL = "personnel", _("Security of personnel")
        PROPERTY = "property", _("Security of property")
        INVESTMENT = "investment", _("Investment protection")
        UNREST = "unrest", _("Civil unrest")
        HEALTH = "health", _("Public health")
        REGULATORY = "regulatory", _("Regulatory or legal")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        MONITORING = "monitoring", _("Monitoring")
        MITIGATING = "mitigating", _("Mitigating")
        CLOSED = "closed", _("Closed")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    enterprise = models.ForeignKey(
        Enterprise,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="concerns",
        verbose_name=_("enterprise"),
        help_text=_("Leave empty for a concern about foreign companies and citizens at large."),
    )
    site = models.ForeignKey(
        Site, models.PROTECT, null=True, blank=True, related_name="concerns", verbose_name=_("site")
    )
    # Both country fields are derived from the site and enterprise when those are given,
    # so the form may leave them empty; clean() requires them once derivation is done.
    country = CountryField(
        _("host country"), blank=True, help_text=_("Where the concern applies; taken from the site if given.")
    )
    origin_country = CountryField(
        _("origin country"),
        blank=True,
        help_text=_("Whose companies and citizens are concerned; taken from the enterprise if given."),
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    raised_by = models.ForeignKey(
        Organisation,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="concerns_raised",
        verbose_name=_("raised by"),
    )
    raised_at = models.ForeignKey(
        Engagement,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="concerns",
        verbose_name=_("raised at"),
        help_text=_("The meeting or statement that is the source."),
    )
    raised_on = models.DateField(_("date raised"))
    likelihood = models.PositiveSmallIntegerField(_("likelihood"), validators=SCALE_VALIDATORS)
    impact = models.PositiveSmallIntegerField(_("impact"), validators=SCALE_VALIDATORS)
    # Stored rather than computed on read so that filters and sorting by level use an index;
    # save() derives it and a database constraint keeps it true to the matrix.
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices, editable=False, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    closure_reason = models.TextField(_("reason for closing"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="concerns",
        verbose_name=_("owner"),
    )
    next_review = models.DateField(
        _("next review"),
        blank=True,
        help_text=_("Defaults from the level: 90 days for high and critical, 180 for medium, 360 for low."),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    version = version_field()
    history = HistoricalRecords(excluded_fields=["version"])
    objects = ConcernQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_on", "-id"]
        verbose_name = _("concern")
        verbose_name_plural = _("concerns")
        constraints = [
            models.CheckConstraint(condition=Q(likelihood__gte=1, likelihood__lte=5), name="concern_likelihood_1_5"),
            models.CheckConstraint(condition=Q(impact__gte=1, impact__lte=5), name="concern_impact_1_5"),
            models.CheckConstraint(
                condition=Q(
                    *[
                        Q(level=level)
                        & GreaterThanOrEqual(F("likelihood") * F("impact"), low)
                        & LessThanOrEqual(F("likelihood") * F("impact"), high)
                        for level, (low, high) in LEVEL_SCORES.items()
                    ],
                    _connector=Q.OR,
                ),
                name="concern_level_matches_matrix",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | ~Q(closure_reason=""),
                name="concern_closed_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(site__isnull=True) | Q(enterprise__isnull=False),
                name="concern_site_has_enterprise",
            ),
            models.CheckConstraint(condition=~Q(country="") & ~Q(origin_country=""), name="concern_has_countries"),
        ]
        indexes = [
            models.Index(fields=["-raised_on", "-id"], name="concern_newest"),
            # Each ends with the other's column, so that level and status together (the dashboard's
            # links) are filtered inside the index, without reading a row per index entry (make bench).
            models.Index(fields=["level", "-raised_on", "-id", "status"], name="concern_level_newest"),
            models.Index(fields=["status", "-raised_on", "-id", "level"], name="concern_status_newest"),
            models.Index(fields=["next_review"], name="concern_next_review"),
            # The list's sort by title and the dashboard's "recently changed" read these in order.
            models.Index(fields=["title", "id"], name="concern_title"),
            models.Index(fields=["-updated", "-id"], name="concern_recently_updated"),
            # The dashboard's counts read only these, so they scan an index rather than the table;
            # the sites with open concerns at a level (the site list's level filter) too.
            models.Index(fields=["status", "level", "likelihood", "impact", "site"], name="concern_status_matrix"),
            models.Index(fields=["status", "next_review"], name="concern_review_status"),
            # A site's highest open level (site list, level filter, map) is read from this index alone.
            models.Index(fields=["site", "status", "level"], name="concern_site_open_level"),
            # The newest concerns of a region's or a district's sites: their keys from this index
            # alone, site by site, instead of a row read per concern of the region (make bench).
            models.Index(fields=["site", "-raised_on", "-id"], name="concern_site_newest"),
            # At a million rows, the list's most used filters need an index each, or every page
            # (and its match count) scans the table (make bench).
            models.Index(fields=["country", "-raised_on", "-id"], name="concern_country_newest"),
            models.Index(fields=["origin_country", "-raised_on", "-id"], name="concern_origin_newest"),
            models.Index(fields=["category", "-raised_on", "-id"], name="concern_category_newest"),
            models.Index(fields=["owner", "-raised_on", "-id"], name="concern_owner_newest"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("concern_detail", args=[self.pk])

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.site_id and self.enterprise_id and self.site.enterprise_id != self.enterprise_id:
            errors["site"] = _("This site belongs to another enterprise.")
        self.derive()
        for field in ("country", "origin_country"):
            if not getattr(self, field) and field not in errors:
                errors[field] = _("Required when no site or enterprise gives it.")
        if self.status == self.Status.CLOSED and not self.closure_reason.strip():
            errors["closure_reason"] = _("Say why the concern is closed.")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs) -> None:
        self.derive()
        if not self.next_review and self.level:
            self.next_review = self.default_next_review()
        super().save(*args, **kwargs)

    def derive(self) -> None:
        """Fill what follows from other fields: the enterprise and countries from the site and
        enterprise, the raised date from the engagement, the level from the matrix."""
        if self.site_id:
            if self.enterprise_id is None:
                self.enterprise = self.site.enterprise
            if self.site.enterprise_id == self.enterprise_id:
                self.country = self.site.district.region.country
        if self.enterprise_id:
            self.origin_country = self.enterprise.origin_country
        if self.raised_at_id and not self.raised_on:
            self.raised_on = self.raised_at.date
        # Out-of-scale values are left for validation and the database constraints to refuse.
        if self.likelihood in range(1, 6) and self.impact in range(1, 6):
            self.level = Level.from_score(self.likelihood, self.impact)

    def default_next_review(self, today: datetime.date | None = None) -> datetime.date:
        return (today or timezone.localdate()) + Level(self.level).review_interval

    @property
    def is_overdue(self) -> bool:
        return self.status != self.Status.CLOSED and self.next_review < timezone.localdate()


# --- Response ---------------------------------------------------------------------


class MeasureQuerySet(OverdueQuerySet):
    @staticmethod
    def overdue_condition(today: datetime.date | None = None) -> Q:
        """A measure still to be carried out whose due date has passed."""
        finished = [Measure.Status.DONE, Measure.Status.CANCELLED]
        return Q(due__lt=today or timezone.localdate()) & ~Q(status__in=finished)


class Measure(models.Model):
    """A mitigation measure or commitment, such as a promised round table."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        AGREED = "agreed", _("Agreed")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    proposed_by = models.ForeignKey(
        Organisation,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="measures_proposed",
        verbose_name=_("proposed by"),
    )
    proposed_at = models.ForeignKey(
        Engagement,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="measures",
        verbose_name=_("proposed at"),
    )
    responsible = models.ManyToManyField(
        Organisation, blank=True, related_name="measures_responsible", verbose_name=_("responsible organisations")
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PROPOSED)
    due = models.DateField(_("due date"), null=True, blank=True)
    concerns = models.ManyToManyField(
        Concern, blank=True, related_name="measures", verbose_name=_("concerns addressed")
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    version = version_field()
    history = HistoricalRecords(m2m_fields=[responsible, concerns], excluded_fields=["version"])
    objects = MeasureQuerySet.as_manager()

    class Meta:
        ordering = ["due", "id"]
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        # The list's default order; without it every page sorts the whole table.
        indexes = [models.Index(fields=["due", "id"], name="measure_due")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("measure_detail", args=[self.pk])
