"""/api/v1/stats over the statistics service (services/stats): the same figures as /stats."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session


def figures(session: Session, args: Mapping[str, str], *, writer, ttl_seconds: int,
            grace_seconds: int = 0) -> dict:
    """The statistics for the `from`/`to` period and `office` (with the offices below it);
    a bad filter raises the stats service's StatsError (a ServiceError, 400). They come from
    the statistics cache (services/stats/cache.py, same entries as /stats) while nothing
    changed; `as_of` is when they were computed, so repeated calls give the same bytes and
    ETag until the data changes or the entry expires."""
    from district_portal.services import stats
    from district_portal.services.stats.cache import cached_compute

    period = stats.parse_period(args.get("from"), args.get("to"))
    office = stats.find_office(session, args.get("office"))
    return cached_compute(session, period, office, writer=writer,
                          ttl_seconds=ttl_seconds, grace_seconds=grace_seconds).to_dict()
