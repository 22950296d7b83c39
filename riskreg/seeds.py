"""Load the register's seed data: TOML files in ``seeds/``, keyed by natural keys.

A record that already holds the seeded values is left untouched (no save, no history
entry), so loading twice changes nothing; a record that differs is updated.
"""

import datetime
import tomllib
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction

from .models import Concern, District, Engagement, Enterprise, Measure, Organisation, Participant, Region, Site

SEEDS_DIR = Path(settings.BASE_DIR) / "seeds"


def upsert(model: type[models.Model], lookup: dict[str, Any], values: dict[str, Any]) -> tuple[Any, bool]:
    """Create or update one validated row; return it and whether anything was written."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
    elif all(getattr(obj, name) == value for name, value in values.items()):
        return obj, False
    else:
        for name, value in values.items():
            setattr(obj, name, value)
    obj.full_clean()
    obj.save()
    return obj, True


def set_if_changed(manager: Any, objects: list[models.Model]) -> bool:
    if {o.pk for o in manager.all()} == {o.pk for o in objects}:
        return False
    manager.set(objects)
    return True


@transaction.atomic
def load_seed_file(path: Path) -> int:
    """Load one seed file; return how many records were created or changed."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    written = 0

    def count(result: tuple[Any, bool]) -> Any:
        nonlocal written
        written += result[1]
        return result[0]

    districts: dict[tuple[str, str, str], District] = {}
    for r in data.get("regions", []):
        region = count(upsert(Region, {"country": r["country"], "name": r["name"]}, {}))
        for name in r.get("districts", []):
            districts[(r["country"], r["name"], name)] = count(upsert(District, {"region": region, "name": name}, {}))

    orgs: dict[str, Organisation] = {}
    for o in data.get("organisations", []):
        orgs[o["name"]] = count(
            upsert(
                Organisation,
                {"name": o["name"], "country": o.get("country", "")},
                {"kind": o["kind"], "notes": o.get("notes", "")},
            )
        )

    enterprises: dict[str, Enterprise] = {}
    sites: dict[str, Site] = {}
    for e in data.get("enterprises", []):
        enterprise = count(
            upsert(
                Enterprise,
                {"name": e["name"]},
                {
                    "origin_country": e["origin_country"],
                    "sector": e["sector"],
                    "parent": orgs.get(e.get("parent", "")),
                    "notes": e.get("notes", ""),
                },
            )
        )
        enterprises[enterprise.name] = enterprise
        for s in e.get("sites", []):
            sites[s["name"]] = count(
                upsert(
                    Site,
                    {"enterprise": enterprise, "name": s["name"]},
                    {
                        "kind": s["kind"],
                        "district": districts[tuple(s["district"])],
                        "locality": s.get("locality", ""),
                        "latitude": _decimal(s.get("latitude")),
                        "longitude": _decimal(s.get("longitude")),
                        "precision": s["precision"],
                        "notes": s.get("notes", ""),
                    },
                )
            )

    engagements: dict[str, Engagement] = {}
    for g in data.get("engagements", []):
        engagement = count(
            upsert(
                Engagement,
                {"title": g["title"]},
                {
                    "kind": g["kind"],
                    "date": datetime.date.fromisoformat(g["date"]),
                    "date_precision": g["date_precision"],
                    "summary": g.get("summary", ""),
                    "source": g.get("source", ""),
                    "source_url": g.get("source_url", ""),
                },
            )
        )
        written += set_if_changed(engagement.organisations, [orgs[name] for name in g.get("organisations", [])])
        for p in g.get("participants", []):
            count(
                upsert(
                    Participant,
                    {"engagement": engagement, "name": p["name"]},
                    {"role": p.get("role", ""), "organisation": orgs.get(p.get("organisation", ""))},
                )
            )
        engagements[engagement.title] = engagement

    concerns: dict[str, Concern] = {}
    for c in data.get("concerns", []):
        enterprise = enterprises.get(c.get("enterprise", ""))
        site = sites.get(c.get("site", ""))
        raised_at = engagements.get(c.get("raised_at", ""))
        values = {
            "description": c.get("description", ""),
            "enterprise": enterprise,
            "site": site,
            "category": c["category"],
            "raised_by": orgs.get(c.get("raised_by", "")),
            "raised_at": raised_at,
            "raised_on": datetime.date.fromisoformat(c["raised_on"]) if "raised_on" in c else raised_at.date,
            "likelihood": c["likelihood"],
            "impact": c["impact"],
            "status": c.get("status", Concern.Status.OPEN),
        }
        # Country fields follow from the site and enterprise (Concern.clean); give them only when free-standing.
        if site is None:
            values["country"] = c.get("country", "")
        if enterprise is None:
            values["origin_country"] = c.get("origin_country", "")
        concerns[c["title"]] = count(upsert(Concern, {"title": c["title"]}, values))

    for m in data.get("measures", []):
        measure = count(
            upsert(
                Measure,
                {"title": m["title"]},
                {
                    "description": m.get("description", ""),
                    "proposed_by": orgs.get(m.get("proposed_by", "")),
                    "proposed_at": engagements.get(m.get("proposed_at", "")),
                    "status": m.get("status", Measure.Status.PROPOSED),
                    "due": datetime.date.fromisoformat(m["due"]) if m.get("due") else None,
                },
            )
        )
        written += set_if_changed(measure.responsible, [orgs[name] for name in m.get("responsible", [])])
        written += set_if_changed(measure.concerns, [concerns[title] for title in m.get("concerns", [])])
    return written


def _decimal(value: str | None) -> Any:
    from decimal import Decimal

    return Decimal(value) if value is not None else None


def load_seeds(directory: Path = SEEDS_DIR) -> dict[str, int]:
    """Load every seed file in the directory, in name order."""
    return {path.name: load_seed_file(path) for path in sorted(directory.glob("*.toml"))}
