"""The dashboard's counts, kept in the cache that every worker shares.

At a million concerns the counts by level, status and matrix cell and the overdue count read
about a million index entries: a second per page view. They change only when a concern does,
so they are computed once and kept in Django's cache (a database table, settings.CACHES, so
that every gunicorn process and host sees the same entry). Saving or deleting a concern drops
the entry, so an edit shows on the next view; writes that bypass the model's signals (bulk
loads, ``QuerySet.update``) show within ``COUNTS_SECONDS``.
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from .models import Concern

CACHE_KEY = "riskreg:dashboard:counts"
# How stale the counts may be after a write that sends no signal.
COUNTS_SECONDS = 60


@dataclass
class ConcernCounts:
    day: datetime.date
    by_level: dict[int, int] = field(default_factory=dict)  # open concerns
    by_status: dict[str, int] = field(default_factory=dict)  # every concern
    by_cell: dict[tuple[int, int], int] = field(default_factory=dict)  # open, by (likelihood, impact)
    overdue: int = 0


def compute_counts(today: datetime.date) -> ConcernCounts:
    """Two queries: the grouped matrix pass and the overdue count."""
    open_statuses = set(Concern.objects.open_statuses())
    by_level: Counter = Counter()
    by_status: Counter = Counter()
    by_cell: Counter = Counter()
    for status, level, likelihood, impact, n in Concern.objects.matrix_counts():
        by_status[status] += n
        if status in open_statuses:
            by_level[level] += n
            by_cell[likelihood, impact] += n
    return ConcernCounts(
        day=today,
        by_level=dict(by_level),
        by_status=dict(by_status),
        by_cell=dict(by_cell),
        overdue=Concern.objects.overdue(today).count(),
    )


def concern_counts() -> ConcernCounts:
    """The cached counts, recomputed when missing, expired, or from another day (overdue moves at midnight)."""
    today = timezone.localdate()
    counts = cache.get(CACHE_KEY)
    if not isinstance(counts, ConcernCounts) or counts.day != today:
        counts = compute_counts(today)
        cache.set(CACHE_KEY, counts, COUNTS_SECONDS)
    return counts


def forget_counts(**kwargs: Any) -> None:
    """Signal receiver: a concern was saved or deleted, or the database was migrated or flushed.

    Dropped now, so that this transaction's next view counts afresh, and again on commit, so that
    counts another request computed before the commit, without the change, do not linger."""
    cache.delete(CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(CACHE_KEY))
