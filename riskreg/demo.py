"""Synthetic demo data: a register filled with plausible enterprises, sites, engagements,
concerns and measures in Kyrgyzstan, Kazakhstan and Uzbekistan, at any size.

The same seed, counts and reference date always give the same data. Rows are written with
``bulk_create`` in large batches, so everything ``save()`` would derive (a concern's level,
countries and next review) is computed here with the model's own rules. No history rows are
written: the data is synthetic, has no author, and a million historical copies would double
both the load time and the database for nothing a reviewer could learn from.
"""

import datetime
import random
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from django_countries import countries

from .models import (
    Concern,
    DatePrecision,
    District,
    Engagement,
    Enterprise,
    Level,
    Measure,
    Organisation,
    Participant,
    Region,
    Sector,
    Site,
)

BATCH = 20_000

# country -> region -> district -> (latitude, longitude) of the district's centre.
# Centres lie well inside their country, so a small jitter keeps points inside too.
GEOGRAPHY: dict[str, dict[str, dict[str, tuple[float, float]]]] = {
    "KG": {
        "Chui Region": {
            "Panfilov District": (42.83, 73.68),
            "Alamudun District": (42.88, 74.62),
            "Sokuluk District": (42.86, 74.30),
            "Jayyl District": (42.81, 73.85),
            "Ysyk-Ata District": (42.75, 75.20),
            "Kemin District": (42.78, 75.69),
        },
        "Jalal-Abad Region": {
            "Ala-Buka District": (41.40, 71.42),
            "Aksy District": (41.45, 71.90),
            "Bazar-Korgon District": (41.03, 72.75),
            "Suzak District": (40.90, 72.90),
            "Toktogul District": (41.87, 72.94),
            "Chatkal District": (41.85, 71.50),
        },
        "Osh Region": {
            "Kara-Suu District": (40.70, 72.87),
            "Aravan District": (40.52, 72.50),
            "Alay District": (40.32, 73.45),
            "Nookat District": (40.27, 72.62),
            "Uzgen District": (40.77, 73.30),
        },
        "Issyk-Kul Region": {
            "Jeti-Oguz District": (42.35, 78.25),
            "Tup District": (42.73, 78.37),
            "Ak-Suu District": (42.50, 78.50),
            "Issyk-Kul District": (42.65, 77.08),
            "Ton District": (42.15, 76.90),
        },
        "Naryn Region": {
            "Naryn District": (41.43, 76.00),
            "At-Bashy District": (41.17, 75.80),
            "Kochkor District": (42.20, 75.75),
            "Jumgal District": (42.00, 74.50),
        },
        "Talas Region": {
            "Talas District": (42.50, 72.20),
            "Bakay-Ata District": (42.33, 71.87),
            "Manas District": (42.55, 72.60),
        },
        "Batken Region": {
            "Batken District": (40.06, 70.82),
            "Kadamjay District": (40.13, 71.72),
            "Leilek District": (39.84, 69.60),
        },
    },
    "KZ": {
        "Almaty Region": {
            "Talgar District": (43.30, 77.24),
            "Enbekshikazakh District": (43.50, 77.80),
            "Ile District": (43.55, 76.90),
            "Karasay District": (43.30, 76.60),
        },
        "Karaganda Region": {
            "Abay District": (49.63, 72.85),
            "Bukhar-Zhyrau District": (49.90, 73.20),
            "Osakarovka District": (50.56, 72.57),
        },
        "East Kazakhstan Region": {
            "Glubokoye District": (50.13, 82.30),
            "Shemonaikha District": (50.63, 81.90),
            "Altai District": (49.73, 84.27),
        },
        "Turkistan Region": {
            "Sairam District": (42.30, 69.77),
            "Tolebi District": (42.15, 70.35),
            "Ordabasy District": (42.60, 69.26),
        },
        "Aktobe Region": {
            "Mugalzhar District": (49.47, 57.42),
            "Khromtau District": (50.25, 58.44),
        },
        "Atyrau Region": {
            "Zhylyoi District": (46.95, 54.00),
            "Makhambet District": (47.67, 51.58),
        },
        "Pavlodar Region": {
            "Bayanaul District": (50.79, 75.70),
            "Pavlodar District": (52.30, 76.90),
        },
    },
    "UZ": {
        "Tashkent Region": {
            "Zangiata District": (41.20, 69.15),
            "Kibray District": (41.39, 69.46),
            "Akhangaran District": (40.90, 69.60),
            "Bekabad District": (40.22, 69.27),
        },
        "Samarkand Region": {
            "Urgut District": (39.40, 67.24),
            "Pastdargom District": (39.70, 66.70),
            "Samarkand District": (39.60, 67.00),
        },
        "Navoiy Region": {
            "Tamdy District": (41.73, 64.60),
            "Karmana District": (40.13, 65.36),
            "Uchkuduk District": (42.15, 63.55),
        },
        "Fergana Region": {
            "Fergana District": (40.35, 71.75),
            "Kuva District": (40.52, 72.07),
            "Rishton District": (40.36, 71.28),
        },
        "Andijan Region": {
            "Asaka District": (40.64, 72.24),
            "Andijan District": (40.80, 72.30),
        },
        "Kashkadarya Region": {
            "Guzar District": (38.62, 66.25),
            "Karshi District": (38.86, 65.80),
            "Shakhrisabz District": (39.06, 66.83),
        },
    },
}
HOST_WEIGHTS = {"KG": 5, "KZ": 3, "UZ": 3}
ORIGINS = {"CN": 30, "RU": 18, "TR": 12, "KZ": 6, "KR": 5, "US": 4, "GB": 4, "DE": 4, "AE": 3, "IN": 3, "JP": 2}
COUNTRY_NAMES = {"KG": "the Kyrgyz Republic", "KZ": "the Republic of Kazakhstan", "UZ": "the Republic of Uzbekistan"}
LOCALITIES = {
    "KG": ["Kara-Suu", "Ak-Tash", "Kok-Jar", "Sary-Bulak", "Jany-Jer", "Ak-Bulak", "Kyzyl-Too", "Tash-Bashat"],
    "KZ": ["Akbulak", "Karabulak", "Zhanatas", "Kosshy", "Shubarkol", "Besagash", "Kaskelen", "Zhetisu"],
    "UZ": ["Yangiobod", "Chorvoq", "Olmazor", "Bogishamol", "Navbahor", "Qizilqum", "Dostlik", "Guliston"],
}

NAME_STEMS = [
    "Tian Shan", "Silk Road", "Kyzyl", "Ak-Tash", "Eurasia", "Steppe", "Orient", "Zhongya", "Huaxin", "Aral",
    "Naryn", "Alatau", "Kara-Balta", "Sary-Jaz", "Great Wall", "Ural", "Anatolia", "Bosphorus", "Caspian", "Altyn",
    "Samruk", "Turan", "Pamir", "Ferghana", "Golden Horde", "Nomad", "Baikal", "Sunrise", "Blue Sky", "Emerald",
    "Jade", "Phoenix", "Polar Star", "Hanbit", "Seoul Bridge", "Rhein", "Thames", "Falcon", "Oasis", "Lotus",
]  # fmt: skip
SECTOR_WORDS: dict[str, list[str]] = {
    Sector.MINING: ["Gold Mining", "Mining", "Minerals", "Coal", "Copper", "Resources"],
    Sector.MANUFACTURING: ["Cement", "Plastics and Cable", "Textile", "Glass Works", "Steel", "Food Processing"],
    Sector.ENERGY: ["Energy", "Hydropower", "Oil and Gas", "Solar", "Power Grid"],
    Sector.CONSTRUCTION: ["Construction", "Road Building", "Infrastructure", "Engineering"],
    Sector.AGRICULTURE: ["Agro", "Cotton", "Orchards", "Livestock"],
    Sector.TRADE: ["Trading", "Bazaar Holdings", "Retail"],
    Sector.TRANSPORT: ["Logistics", "Freight", "Rail Transit", "Trucking"],
    Sector.TELECOM: ["Telecom", "Networks", "Mobile"],
    Sector.FINANCE: ["Capital", "Bank", "Leasing"],
    Sector.OTHER: ["Services", "Group", "Consulting"],
}
LEGAL_FORMS = ["LLC", "LLC", "CJSC", "JSC", "Ltd", "Co."]
SITE_KIND_BY_SECTOR: dict[str, list[str]] = {
    Sector.MINING: [Site.Kind.MINE, Site.Kind.MINE, Site.Kind.PLANT, Site.Kind.OFFICE],
    Sector.MANUFACTURING: [Site.Kind.PLANT, Site.Kind.PLANT, Site.Kind.WAREHOUSE, Site.Kind.OFFICE],
    Sector.ENERGY: [Site.Kind.PLANT, Site.Kind.CONSTRUCTION, Site.Kind.OFFICE],
    Sector.CONSTRUCTION: [Site.Kind.CONSTRUCTION, Site.Kind.CONSTRUCTION, Site.Kind.OFFICE],
    Sector.AGRICULTURE: [Site.Kind.FARM, Site.Kind.FARM, Site.Kind.WAREHOUSE],
}
SITE_NOUNS = {
    Site.Kind.MINE: "mine",
    Site.Kind.PLANT: "plant",
    Site.Kind.OFFICE: "office",
    Site.Kind.WAREHOUSE: "warehouse",
    Site.Kind.CONSTRUCTION: "construction site",
    Site.Kind.FARM: "farm",
    Site.Kind.OTHER: "depot",
}
CONCERN_TITLES: dict[str, list[str]] = {
    Concern.Category.PERSONNEL: [
        "Threats against foreign staff",
        "Assault on workers at the gate",
        "Kidnapping risk for expatriate engineers",
        "Harassment of drivers on the access road",
    ],
    Concern.Category.PROPERTY: [
        "Equipment seized by local residents",
        "Arson attack on storage",
        "Theft of fuel and spare parts",
        "Access road blocked by villagers",
    ],
    Concern.Category.INVESTMENT: [
        "Licence review announced by the ministry",
        "Demand for a share in the project",
        "Tax claims reopened",
        "Pressure to renegotiate the concession",
    ],
    Concern.Category.UNREST: [
        "Protest against the project in the district centre",
        "Rally demanding jobs for locals",
        "Road blockade over water use",
    ],
    Concern.Category.HEALTH: ["Dust complaints near the settlement", "Water contamination alleged"],
    Concern.Category.REGULATORY: ["Environmental permit suspended", "Work permits for foreign staff delayed"],
    Concern.Category.OTHER: ["Hostile media campaign", "Rumours about the owners"],
}
CATEGORY_WEIGHTS = [18, 20, 22, 15, 6, 14, 5]
STATUS_WEIGHTS = {"open": 35, "monitoring": 30, "mitigating": 15, "closed": 20}
CLOSURE_REASONS = ["Resolved after talks with the district administration.", "Company left the area.", "No repeat."]
MEASURE_TITLES = [
    "Round table with local residents",
    "Joint patrols with district police",
    "Community development fund",
    "Working group under the ministry",
    "Hiring plan for local workers",
    "Security audit of the site",
    "Independent environmental study",
]
ENGAGEMENT_TITLES = {
    Engagement.Kind.MEETING: "Meeting of {host} with {guest}",
    Engagement.Kind.STATEMENT: "Statement by {host}",
    Engagement.Kind.CORRESPONDENCE: "Note verbale from {guest} to {host}",
    Engagement.Kind.CALL: "Call between {host} and {guest}",
    Engagement.Kind.REPORT: "Media report on foreign investors in {country}",
}
FIRST_NAMES = ["Aibek", "Nurlan", "Dilnoza", "Aigerim", "Li Wei", "Zhang Min", "Ivan", "Olga", "Mehmet", "Ayse"]
LAST_NAMES = ["Usenov", "Abdrakhmanov", "Karimova", "Seitkali", "Wang", "Chen", "Petrov", "Smirnova", "Yilmaz"]
ROLES = ["Minister", "Deputy minister", "Ambassador", "Counsellor", "Director", "Head of security", "Governor"]


@dataclass
class Counts:
    enterprises: int = 2_000
    sites: int = 5_000
    concerns: int = 20_000
    measures: int | None = None  # default: one measure for every 20 concerns
    engagements: int | None = None  # default: one for every 50 concerns, at least 10
    users: int = 12


@dataclass
class Result:
    created: dict[str, int] = field(default_factory=dict)


@contextmanager
def fast_sqlite_load() -> Iterator[None]:
    """Skip SQLite's rollback journal and fsyncs for the bulk load only; restore them after.

    Demo data can be regenerated, so losing it to a crash mid-load costs nothing. On other
    databases this does nothing."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
        cursor.execute("PRAGMA synchronous")
        synchronous = cursor.fetchone()[0]
        cursor.execute("PRAGMA journal_mode = OFF")
        cursor.execute("PRAGMA synchronous = OFF")
        cursor.execute("PRAGMA cache_size = -200000")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA journal_mode = {journal}")
            cursor.execute(f"PRAGMA synchronous = {int(synchronous)}")


SQLITE_SEARCH_TRIGGER = "riskreg_concern_search_insert"


@contextmanager
def concern_search_indexed_at_the_end() -> Iterator[None]:
    """On SQLite, index the loaded titles once at the end (FTS5's 'rebuild') rather than row by
    row through the insert trigger of migration 0003_concern_search: for 100,000 concerns the
    trigger cost 7 s of CPU, the rebuild 0.5 s. PostgreSQL maintains its trigram index itself."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        # The trigger is put back exactly as the migration created it.
        cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s", [SQLITE_SEARCH_TRIGGER])
        row = cursor.fetchone()
        if row is None:
            yield
            return
        cursor.execute(f"DROP TRIGGER {SQLITE_SEARCH_TRIGGER}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(row[0])
            cursor.execute("INSERT INTO riskreg_concern_search (riskreg_concern_search) VALUES ('rebuild')")


def secondary_indexes(model: type) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the table's plain indexes: not the primary key, not those that
    enforce uniqueness (they must check every row as it arrives)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # SQLite's own indexes for UNIQUE constraints have no SQL of their own.
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL"
                " AND sql NOT LIKE 'CREATE UNIQUE%%'",
                [table],
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
                " WHERE x.indrelid = %s::regclass AND NOT x.indisprimary AND NOT x.indisunique",
                [table],
            )
        else:
            return []
        return sorted(cursor.fetchall())


@contextmanager
def indexes_built_at_the_end(model: type) -> Iterator[None]:
    """Drop the table's secondary indexes for a bulk insert and build each once at the end: one sort
    per index instead of a b-tree insertion per row and index. For a million concerns and their
    sixteen indexes on SQLite the load took 126 s in all, most of it updating indexes.

    Must run inside a transaction: if the load fails, the rollback brings the indexes back."""
    assert connection.in_atomic_block, "indexes_built_at_the_end needs a transaction"
    indexes = secondary_indexes(model)
    with connection.cursor() as cursor:
        for name, _sql in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    if connection.vendor == "postgresql":
        # PostgreSQL refuses CREATE INDEX while the rows' deferred foreign-key checks are pending:
        # run them now (and fail here, as the commit would, if a key is wrong).
        connection.check_constraints()
    with connection.cursor() as cursor:
        for _name, sql in indexes:
            cursor.execute(sql)


def insert_rows(model: type, fields: list[str], rows: Iterator[tuple], batch: int = BATCH) -> int:
    """Insert tuples of database-ready values into the model's table, a batch at a time: COPY on
    PostgreSQL, executemany elsewhere. Constraints still apply; model code (save, signals) does not run."""
    opts = model._meta
    columns = [opts.get_field(name).column for name in fields]
    table, quote = connection.ops.quote_name(opts.db_table), connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        # Table and column names come from the model's metadata, quoted; values are parameters.
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
        chunk: list[tuple] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= batch:
                cursor.executemany(sql, chunk)
                count += len(chunk)
                chunk = []
        if chunk:
            cursor.executemany(sql, chunk)
            count += len(chunk)
    return count


def weighted(rng: random.Random, weights: dict[str, int]) -> Callable[[], str]:
    keys, cum = list(weights), []
    total = 0
    for w in weights.values():
        total += w
        cum.append(total)
    return lambda: rng.choices(keys, cum_weights=cum)[0]


class Generator:
    def __init__(self, counts: Counts, seed: int = 1, today: datetime.date | None = None, log=None) -> None:
        self.counts = counts
        self.rng = random.Random(seed)  # noqa: S311 -- reproducible demo data, not secrets
        self.today = today or timezone.localdate()
        self.log = log or (lambda message: None)
        self.result = Result()

    def run(self) -> Result:
        with fast_sqlite_load(), transaction.atomic():
            districts = self.geography()
            users = self.users()
            orgs = self.organisations()
            enterprises = self.enterprises(orgs)
            sites = self.sites(enterprises, districts)
            engagements = self.engagements(orgs)
            concern_ids = self.concerns(enterprises, sites, engagements, orgs, users)
            self.measures(concern_ids, engagements, orgs)
        # Fresh planner statistics: without them SQLite sorted 650k rows for a page of concerns
        # filtered by two statuses, instead of walking the date index (make bench).
        # Only the register's tables: a database-wide ANALYZE on PostgreSQL also takes the shared
        # catalogues and can wait on sessions in other databases of the cluster.
        with connection.cursor() as cursor:
            for table in (Enterprise, Site, Concern, Measure, Engagement, Organisation, Participant):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table._meta.db_table)}")
        return self.result

    def _count(self, name: str, n: int) -> None:
        self.result.created[name] = self.result.created.get(name, 0) + n
        self.log(f"{name}: {n}")

    # --- reference data ------------------------------------------------------------------

    def geography(self) -> list[tuple[District, str, float, float]]:
        """Regions and districts (reusing any that exist, such as the seeds'), with their centres."""
        out = []
        for country, regions in GEOGRAPHY.items():
            for region_name, districts in regions.items():
                region, _ = Region.objects.get_or_create(country=country, name=region_name)
                for name, (lat, lon) in districts.items():
                    district, _ = District.objects.get_or_create(region=region, name=name)
                    out.append((district, country, lat, lon))
        return out

    def users(self) -> list[int]:
        User = get_user_model()
        ids = []
        for i in range(1, self.counts.users + 1):
            user, created = User.objects.get_or_create(
                username=f"analyst{i:02d}",
                defaults={"first_name": self.rng.choice(FIRST_NAMES), "last_name": self.rng.choice(LAST_NAMES)},
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            ids.append(user.pk)
        return ids

    def organisations(self) -> dict[str, list[Organisation]]:
        orgs: dict[str, list[Organisation]] = {"host": [], "guest": [], "parent": []}
        wanted: list[tuple[str, Organisation]] = []
        for code, name in COUNTRY_NAMES.items():
            wanted.append(("host", Organisation(name=f"Government of {name}", kind="government", country=code)))
            for ministry in ("Foreign Affairs", "Economy", "Internal Affairs", "Emergency Situations"):
                org = Organisation(name=f"Ministry of {ministry} of {name}", kind="ministry", country=code)
                wanted.append(("host", org))
            for origin in ORIGINS:
                if origin != code:
                    org = Organisation(
                        name=f"Embassy of {countries.name(origin)} in {name}", kind="embassy", country=origin
                    )
                    wanted.append(("guest", org))
        for origin in ORIGINS:
            org = Organisation(
                name=f"Business Council of {countries.name(origin)} Investors", kind="association", country=origin
            )
            wanted.append(("guest", org))
        for i in range(max(1, self.counts.enterprises // 10)):
            stem = self.rng.choice(NAME_STEMS)
            org = Organisation(name=f"{stem} Holding {i + 1}", kind="company", country=self.origin())
            wanted.append(("parent", org))
        existing = {(o.name, o.country.code): o for o in Organisation.objects.all()}
        new = [o for _, o in wanted if (o.name, o.country.code) not in existing]
        Organisation.objects.bulk_create(new, batch_size=BATCH)
        self._count("organisations", len(new))
        for role, org in wanted:
            orgs[role].append(existing.get((org.name, org.country.code), org))
        return orgs

    def origin(self) -> str:
        if not hasattr(self, "_origin"):
            self._origin = weighted(self.rng, ORIGINS)
        return self._origin()

    # --- who is exposed ----------------------------------------------------------------------

    def enterprises(self, orgs: dict[str, list[Organisation]]) -> list[Enterprise]:
        rng = self.rng
        taken = set(Enterprise.objects.values_list("name", flat=True))
        sectors = list(Sector.values)
        sector_weights = [20, 18, 12, 14, 8, 10, 8, 4, 3, 3]
        statuses = weighted(rng, {"active": 80, "suspended": 8, "closed": 7, "unknown": 5})
        out = []
        for _ in range(self.counts.enterprises):
            sector = rng.choices(sectors, sector_weights)[0]
            base = f"{rng.choice(NAME_STEMS)} {rng.choice(SECTOR_WORDS[sector])}"
            form = rng.choice(LEGAL_FORMS)
            name, n = f"{base} {form}", 1
            while name in taken:
                n += 1
                name = f"{base} {n} {form}"
            taken.add(name)
            parent = rng.choice(orgs["parent"]) if rng.random() < 0.4 else None
            out.append(
                Enterprise(
                    name=name,
                    origin_country=parent.country if parent else self.origin(),
                    sector=sector,
                    parent=parent,
                    status=statuses(),
                )
            )
        Enterprise.objects.bulk_create(out, batch_size=BATCH)
        self._count("enterprises", len(out))
        return out

    def sites(self, enterprises: list[Enterprise], districts: list) -> list[Site]:
        rng = self.rng
        if not enterprises:
            return []
        host = weighted(rng, HOST_WEIGHTS)
        by_country: dict[str, list] = {}
        for d in districts:
            by_country.setdefault(d[1], []).append(d)
        precision = weighted(rng, {"exact": 25, "locality": 45, "district": 20, "region": 10})
        statuses = weighted(rng, {"operating": 70, "planned": 10, "suspended": 8, "closed": 6, "unknown": 6})
        # Every enterprise gets a site first, the rest go to random enterprises; each
        # enterprise works in one host country, as most do.
        home = {e.pk: host() for e in enterprises}
        numbering: dict[int, int] = {}
        region_centre: dict[int, tuple[float, float]] = {}
        for district, _country, lat, lon in districts:
            region_centre.setdefault(district.region_id, (lat, lon))
        out = []
        for i in range(self.counts.sites):
            enterprise = enterprises[i] if i < len(enterprises) else rng.choice(enterprises)
            country = home[enterprise.pk]
            district, _, lat, lon = rng.choice(by_country[country])
            kind = rng.choice(SITE_KIND_BY_SECTOR.get(enterprise.sector, [Site.Kind.OFFICE, Site.Kind.WAREHOUSE]))
            locality = rng.choice(LOCALITIES[country])
            numbering[enterprise.pk] = k = numbering.get(enterprise.pk, 0) + 1
            prec = precision()
            if prec == "region":
                lat, lon = region_centre[district.region_id]
            elif prec in ("exact", "locality"):
                lat, lon = lat + rng.uniform(-0.05, 0.05), lon + rng.uniform(-0.05, 0.05)
            coords = rng.random() > 0.03  # a few sites are known only by name
            out.append(
                Site(
                    enterprise=enterprise,
                    name=f"{SITE_NOUNS[kind].capitalize()} No. {k}, {locality}",
                    kind=kind,
                    district=district,
                    locality=locality if prec in ("exact", "locality") else "",
                    latitude=Decimal(f"{lat:.6f}") if coords else None,
                    longitude=Decimal(f"{lon:.6f}") if coords else None,
                    precision=prec,
                    status=statuses(),
                )
            )
            # Remember the host country without another query when concerns are placed.
            out[-1]._country = country
        Site.objects.bulk_create(out, batch_size=BATCH)
        self._count("sites", len(out))
        return out

    # --- sources ---------------------------------------------------------------------------

    def engagements(self, orgs: dict[str, list[Organisation]]) -> list[Engagement]:
        rng = self.rng
        n = self.counts.engagements
        if n is None:
            n = max(10, self.counts.concerns // 50)
        kinds = weighted(rng, {"meeting": 40, "statement": 15, "correspondence": 20, "call": 10, "report": 15})
        out, links, people = [], [], []
        for _ in range(n):
            kind = kinds()
            host, guest = rng.choice(orgs["host"]), rng.choice(orgs["guest"])
            date = self.today - datetime.timedelta(days=rng.randrange(6 * 365))
            roll = rng.random()
            if roll < 0.1:
                date, precision = date.replace(month=1, day=1), DatePrecision.YEAR
            elif roll < 0.25:
                date, precision = date.replace(day=1), DatePrecision.MONTH
            else:
                precision = DatePrecision.DAY
            title = ENGAGEMENT_TITLES[kind].format(
                host=host.name, guest=guest.name, country=COUNTRY_NAMES[host.country.code]
            )
            engagement = Engagement(title=title[:200], kind=kind, date=date, date_precision=precision)
            out.append(engagement)
            links.append((engagement, host, guest))
        Engagement.objects.bulk_create(out, batch_size=BATCH)
        Through = Engagement.organisations.through
        pairs = [Through(engagement=e, organisation=o) for e, host, guest in links for o in (host, guest)]
        Through.objects.bulk_create(pairs, batch_size=BATCH)
        for engagement, host, guest in links:
            if engagement.kind in (Engagement.Kind.MEETING, Engagement.Kind.CALL):
                for org in (host, guest):
                    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
                    people.append(
                        Participant(engagement=engagement, name=name, role=rng.choice(ROLES), organisation=org)
                    )
        Participant.objects.bulk_create(people, batch_size=BATCH)
        self._count("engagements", len(out))
        self._count("participants", len(people))
        return out

    # --- risk assessment -----------------------------------------------------------------------

    def concerns(self, enterprises, sites, engagements, orgs, users) -> array:
        """Concern rows as plain tuples, inserted with insert_rows(): at a million rows, building model
        instances and bulk_create's per-field preparation cost about 250 µs a row, ten times the rest."""
        rng = self.rng
        random_, choice, randrange, choices = rng.random, rng.choice, rng.randrange, rng.choices
        categories = list(Concern.Category.values)
        cat_cum = [sum(CATEGORY_WEIGHTS[: i + 1]) for i in range(len(CATEGORY_WEIGHTS))]
        status = weighted(rng, STATUS_WEIGHTS)
        hosts = list(COUNTRY_NAMES)
        raisers = [o.pk for o in orgs["host"] + orgs["guest"]]
        levels = {(li, im): int(Level.from_score(li, im)) for li in range(1, 6) for im in range(1, 6)}
        intervals = {int(level): level.review_interval for level in Level}
        # A gentle skew towards the middle of the matrix, as desk assessments tend to be.
        scale, scale_cum = (1, 2, 3, 4, 5), [1, 3, 6, 8, 9]
        origin_of = {e.pk: e.origin_country.code for e in enterprises}
        home: dict[int, str] = {}
        placed = [(s.pk, s.enterprise_id, s._country) for s in sites]
        for _site, enterprise_id, country in placed:
            home.setdefault(enterprise_id, country)
        enterprise_ids = [e.pk for e in enterprises]
        dated = [(e.pk, e.date) for e in engagements]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        days = datetime.timedelta(days=1)
        columns = [
            "title", "enterprise", "site", "country", "origin_country", "category", "raised_by", "raised_at",
            "raised_on", "likelihood", "impact", "level", "status", "closure_reason", "description", "owner",
            "next_review", "created", "updated",
        ]  # fmt: skip

        def rows() -> Iterator[tuple]:
            for _ in range(self.counts.concerns):
                roll = random_()
                site_id = None
                if placed and roll < 0.6:
                    site_id, enterprise_id, country = choice(placed)
                    origin = origin_of[enterprise_id]
                elif enterprise_ids and roll < 0.85:
                    enterprise_id = choice(enterprise_ids)
                    country = home.get(enterprise_id) or choice(hosts)
                    origin = origin_of[enterprise_id]
                else:
                    enterprise_id, country, origin = None, choice(hosts), self.origin()
                category = choices(categories, cum_weights=cat_cum)[0]
                likelihood = choices(scale, cum_weights=scale_cum)[0]
                impact = choices(scale, cum_weights=scale_cum)[0]
                level = levels[likelihood, impact]
                engagement_id, raised_on = choice(dated) if dated and random_() < 0.3 else (None, None)
                if raised_on is None:
                    raised_on = self.today - randrange(6 * 365) * days
                st = status()
                # Reviews run on from the raised date; some slip past it, which makes them overdue.
                next_review = raised_on + intervals[level] * randrange(1, 9) - randrange(60) * days
                yield (
                    choice(CONCERN_TITLES[category]),
                    enterprise_id,
                    site_id,
                    country,
                    origin,
                    category,
                    choice(raisers) if random_() < 0.7 else None,
                    engagement_id,
                    raised_on,
                    likelihood,
                    impact,
                    level,
                    st,
                    choice(CLOSURE_REASONS) if st == "closed" else "",
                    "",
                    choice(users) if users and random_() < 0.8 else None,
                    next_review,
                    now,
                    now,
                )

        last = Concern.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        with concern_search_indexed_at_the_end(), indexes_built_at_the_end(Concern):
            n = insert_rows(Concern, columns, rows())
        ids = array("q", Concern.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True))
        self._count("concerns", n)
        return ids

    def measures(self, concern_ids: array, engagements: list[Engagement], orgs) -> None:
        rng = self.rng
        n = self.counts.measures
        if n is None:
            n = self.counts.concerns // 20
        statuses = weighted(rng, {"proposed": 25, "agreed": 20, "in_progress": 25, "done": 20, "cancelled": 10})
        responsible = orgs["host"] + orgs["parent"]
        out, links = [], []
        for _ in range(n):
            engagement = rng.choice(engagements) if engagements and rng.random() < 0.5 else None
            base = engagement.date if engagement else self.today - datetime.timedelta(days=rng.randrange(5 * 365))
            measure = Measure(
                title=rng.choice(MEASURE_TITLES),
                proposed_by=rng.choice(orgs["host"] + orgs["guest"]) if rng.random() < 0.8 else None,
                proposed_at=engagement,
                status=statuses(),
                due=base + datetime.timedelta(days=rng.randrange(30, 400)) if rng.random() < 0.8 else None,
            )
            out.append(measure)
            chosen = {rng.choice(concern_ids) for _ in range(rng.randint(1, 3))} if concern_ids else set()
            links.append((measure, chosen, {rng.choice(responsible) for _ in range(rng.randint(1, 2))}))
        for start in range(0, len(out), BATCH):
            Measure.objects.bulk_create(out[start : start + BATCH])
        ConcernLink, OrgLink = Measure.concerns.through, Measure.responsible.through
        ConcernLink.objects.bulk_create(
            [ConcernLink(measure_id=m.pk, concern_id=c) for m, chosen, _ in links for c in sorted(chosen)],
            batch_size=BATCH,
        )
        OrgLink.objects.bulk_create(
            [
                OrgLink(measure_id=m.pk, organisation=o)
                for m, _, orgs_ in links
                for o in sorted(orgs_, key=lambda o: o.pk)
            ],
            batch_size=BATCH,
        )
        self._count("measures", len(out))


def generate(counts: Counts, seed: int = 1, today: datetime.date | None = None, log=None) -> Result:
    """Fill the database with demo data; see the module docstring."""
    return Generator(counts, seed=seed, today=today, log=log).run()
