"""/api/v1/stats over the statistics service (services/stats): the same figures as /stats."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from district_portal.models.types import utcnow


def figures(session: Session, args: Mapping[str, str]) -> dict:
    """The statistics for the `from`/`to` period and `office` (with the offices below it);
    a bad filter raises the stats service's StatsError (a ServiceError, 400). The "as of"
    time is the current minute, so repeated calls within it give the same bytes and ETag."""
    from district_portal.services import stats

    period = stats.parse_period(args.get("from"), args.get("to"))
    office = stats.find_office(session, args.get("office"))
    now = utcnow().replace(second=0, microsecond=0)
    return stats.compute(session, period, office, now=now).to_dict()
