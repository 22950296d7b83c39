"""A small register built in code for the page tests: several enterprises, sites and concerns
that differ in exactly the fields the filters look at."""

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from riskreg.models import (
    Concern,
    District,
    Engagement,
    Enterprise,
    Measure,
    Organisation,
    Participant,
    Region,
    Site,
)

TODAY = datetime.date.today()


@dataclass
class Register:
    chui: Region
    osh: Region
    panfilov: District
    alamedin: District
    kara_suu: District
    ministry: Organisation
    embassy: Organisation
    gold: Enterprise
    power: Enterprise
    shop: Enterprise
    mine: Site
    mill: Site
    plant: Site
    store: Site
    meeting: Engagement
    letter: Engagement
    theft: Concern
    strike: Concern
    permit: Concern
    unrest: Concern
    fire: Concern
    patrol: Measure
    round_table: Measure
    owner: object


def concern(title: str, **fields) -> Concern:
    fields.setdefault("category", Concern.Category.PROPERTY)
    fields.setdefault("raised_on", datetime.date(2024, 1, 1))
    return Concern.objects.create(title=title, **fields)


def build_register() -> Register:
    User = get_user_model()
    owner = User.objects.create_user("owner-anna", password="pw-anna-123")
    chui = Region.objects.create(country="KG", name="Chui Region")
    osh = Region.objects.create(country="KG", name="Osh Region")
    panfilov = District.objects.create(region=chui, name="Panfilov District")
    alamedin = District.objects.create(region=chui, name="Alamedin District")
    kara_suu = District.objects.create(region=osh, name="Kara-Suu District")
    ministry = Organisation.objects.create(name="Ministry of Economy", kind="ministry", country="KG")
    embassy = Organisation.objects.create(name="Embassy of Turkey", kind="embassy", country="TR")

    gold = Enterprise.objects.create(name="Golden Ridge", origin_country="CN", sector="mining")
    power = Enterprise.objects.create(name="Steppe Power", origin_country="RU", sector="energy", status="suspended")
    shop = Enterprise.objects.create(name="Bazaar Trading", origin_country="TR", sector="trade")

    mine = Site.objects.create(
        enterprise=gold, name="Ridge mine", kind="mine", district=kara_suu, locality="Kashgar-Kyshtak"
    )
    mill = Site.objects.create(
        enterprise=gold,
        name="Ore mill",
        kind="plant",
        district=panfilov,
        locality="Kaindy",
        precision="exact",
        latitude=42.8,
        longitude=73.7,
    )
    plant = Site.objects.create(
        enterprise=power, name="Thermal plant", kind="plant", district=alamedin, status="suspended"
    )
    store = Site.objects.create(
        enterprise=shop, name="Central store", kind="office", district=panfilov, locality="Kant"
    )

    meeting = Engagement.objects.create(
        title="Meeting with the Turkish embassy", kind="meeting", date=datetime.date(2024, 3, 5)
    )
    meeting.organisations.set([ministry, embassy])
    Participant.objects.create(engagement=meeting, name="Aigul Sadykova", role="Deputy minister", organisation=ministry)
    letter = Engagement.objects.create(title="Letter on permits", kind="correspondence", date=datetime.date(2023, 6, 1))
    letter.organisations.set([ministry])

    theft = concern(
        "Theft of ore",
        site=mine,
        likelihood=4,
        impact=4,
        raised_on=datetime.date(2024, 3, 5),
        raised_at=meeting,
        raised_by=embassy,
        owner=owner,
        next_review=TODAY - datetime.timedelta(days=3),
    )
    strike = concern(
        "Strike at the mill",
        site=mill,
        category="personnel",
        likelihood=2,
        impact=2,
        raised_on=datetime.date(2023, 2, 1),
        status="monitoring",
    )
    permit = concern(
        "Permit withdrawn",
        enterprise=power,
        country="KG",
        category="regulatory",
        likelihood=5,
        impact=5,
        raised_on=datetime.date(2023, 6, 1),
        raised_at=letter,
        status="mitigating",
    )
    unrest = concern(
        "Protests near the store",
        site=store,
        category="unrest",
        likelihood=3,
        impact=4,
        raised_on=datetime.date(2022, 9, 9),
        status="closed",
        closure_reason="Protests ended.",
        next_review=TODAY - datetime.timedelta(days=30),
    )
    fire = concern("Fire risk at the plant", site=plant, likelihood=1, impact=3, raised_on=datetime.date(2024, 5, 1))

    patrol = Measure.objects.create(
        title="Police patrols",
        status="agreed",
        proposed_by=ministry,
        proposed_at=meeting,
        due=TODAY - datetime.timedelta(days=1),
    )
    patrol.responsible.set([ministry])
    patrol.concerns.set([theft])
    round_table = Measure.objects.create(
        title="Round table", status="done", proposed_by=embassy, due=datetime.date(2023, 1, 1)
    )
    round_table.responsible.set([embassy, ministry])
    round_table.concerns.set([theft, permit])

    return Register(
        chui,
        osh,
        panfilov,
        alamedin,
        kara_suu,
        ministry,
        embassy,
        gold,
        power,
        shop,
        mine,
        mill,
        plant,
        store,
        meeting,
        letter,
        theft,
        strike,
        permit,
        unrest,
        fire,
        patrol,
        round_table,
        owner,
    )


def user_with(*codenames: str, username: str = "viewer"):
    """A staff member holding only the given permissions of the riskreg app."""
    user = get_user_model().objects.create_user(username, password="pw-viewer-123")
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="riskreg", codename__in=codenames))
    return user
