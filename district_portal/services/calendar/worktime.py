"""Working-time calendar for commune offices (pure Python, no Flask/SQLAlchemy).

Every datetime accepted or returned by this module is timezone-aware; results
are always in UTC (``datetime.timezone.utc``).  Naive datetimes are rejected
with ``ValueError``.  Office hours, working days and holidays are evaluated in
the office's local time zone (``Asia/Ho_Chi_Minh`` by default).

A working day is Monday-Friday, minus Vietnamese public holidays and their
official substitute days (``holidays.VN``, observed days included), minus the
admin-entered ``days_off``, plus the admin-entered ``make_up_days`` (a make-up
day is a working day even on a weekend or a public holiday).

Office periods are half-open intervals ``[start, end)``: an office opening at
07:00 is open at 07:00:00 and closed at 17:00:00.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import holidays

from district_portal.text import (  # noqa: F401 (from_local is part of this module's API)
    LOCAL_TZ,
    LOCAL_TZ_NAME,
    from_local,
    time_zone,
    to_local,
)

Hours = tuple[tuple[time, time], ...]

DEFAULT_HOURS: Hours = ((time(7, 0), time(11, 30)), (time(13, 30), time(17, 0)))
#: Dossiers accepted strictly before this local time are due the same day.
SAME_DAY_CUTOFF = time(15, 0)
#: Upper bound for any forward scan over calendar days (about 3 years).
MAX_SCAN_DAYS = 3 * 366

UNITS = ("working_days", "working_hours", "same_day")

_PERIOD_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class CalendarScanError(RuntimeError):
    """Raised when no working time is found within ``MAX_SCAN_DAYS`` days."""


def _require_aware(dt: datetime, name: str = "datetime") -> None:
    if not isinstance(dt, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(dt).__name__}")
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive {dt!r}")


def _validate_hours(periods: Iterable[tuple[time, time]]) -> Hours:
    result = tuple((start, end) for start, end in periods)
    if not result:
        raise ValueError("Giờ làm việc không được để trống.")
    for start, end in result:
        if not isinstance(start, time) or not isinstance(end, time):
            raise ValueError("Giờ làm việc phải là các mốc thời gian (giờ:phút).")
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError("Giờ làm việc phải là giờ địa phương, không kèm múi giờ.")
        if start >= end:
            raise ValueError(
                f"Khung giờ {start:%H:%M}-{end:%H:%M} không hợp lệ: "
                "giờ bắt đầu phải trước giờ kết thúc."
            )
    for (_, prev_end), (next_start, _) in zip(result, result[1:], strict=False):
        if next_start < prev_end:
            raise ValueError(
                "Các khung giờ làm việc phải theo thứ tự tăng dần và không chồng lấn nhau."
            )
    return result


def parse_hours(specs: Iterable[str]) -> Hours:
    """Parse ``["07:30-11:30", "13:30-17:00"]`` into ``((time, time), ...)``.

    Guarantees: a non-empty tuple of local ``time`` pairs, each with
    start < end, in increasing order and not overlapping (a period may start
    exactly when the previous one ends).  Raises ValueError with a
    Vietnamese message otherwise.
    """
    if isinstance(specs, str):
        specs = [specs]
    periods = []
    for spec in specs:
        match = _PERIOD_RE.match(spec) if isinstance(spec, str) else None
        if not match:
            raise ValueError(f"Khung giờ «{spec}» không đúng định dạng HH:MM-HH:MM.")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        try:
            periods.append((time(h1, m1), time(h2, m2)))
        except ValueError:
            raise ValueError(f"Khung giờ «{spec}» chứa giờ hoặc phút không hợp lệ.") from None
    return _validate_hours(periods)


def _as_date_set(days: Iterable[date], name: str) -> frozenset[date]:
    result = frozenset(days)
    for d in result:
        # datetime is a subclass of date but would never compare equal to one.
        if isinstance(d, datetime) or not isinstance(d, date):
            raise TypeError(f"{name} must contain datetime.date objects, got {d!r}")
    return result


@functools.lru_cache(maxsize=32)
def public_holidays(year: int) -> frozenset[date]:
    """Vietnamese public holidays and substitute days of `year` (holidays.VN).

    Computing one year takes ~50 ms, so it is cached per process: the data is a pure
    function of the year and of the installed package, not application state.
    """
    return frozenset(holidays.VN(years=year).keys())


class WorkCalendar:
    """Office working-time arithmetic for one office.

    ``hours`` are local (start, end) periods applied on every working day;
    ``days_off`` and ``make_up_days`` are admin-entered sets of local dates.
    A date may not be both a day off and a make-up day (ValueError).
    """

    def __init__(
        self,
        hours: Iterable[tuple[time, time]] = DEFAULT_HOURS,
        days_off: Iterable[date] = (),
        make_up_days: Iterable[date] = (),
        tz: str | tzinfo = LOCAL_TZ_NAME,
        same_day_cutoff: time = SAME_DAY_CUTOFF,
    ) -> None:
        self.hours: Hours = _validate_hours(hours)
        self.days_off = _as_date_set(days_off, "days_off")
        self.make_up_days = _as_date_set(make_up_days, "make_up_days")
        clash = self.days_off & self.make_up_days
        if clash:
            raise ValueError(
                "Một ngày không thể vừa là ngày nghỉ vừa là ngày làm bù: "
                + ", ".join(d.strftime("%d/%m/%Y") for d in sorted(clash))
            )
        self.tz = time_zone(tz)
        if not isinstance(same_day_cutoff, time) or same_day_cutoff.tzinfo is not None:
            raise ValueError(f"same_day_cutoff must be a naive local time, got {same_day_cutoff!r}")
        self.same_day_cutoff = same_day_cutoff
        self._holiday_cache: dict[int, frozenset[date]] = {}

    # ----------------------------------------------------------- days ---
    def _holidays(self, year: int) -> frozenset[date]:
        cached = self._holiday_cache.get(year)
        if cached is None:
            cached = public_holidays(year)
            self._holiday_cache[year] = cached
        return cached

    def is_working_day(self, d: date) -> bool:
        """True if the local date ``d`` is a working day.

        Guarantees: make-up days are always working; otherwise admin days off,
        public holidays (incl. observed/substitute days) and weekends are not.
        """
        if isinstance(d, datetime):
            raise TypeError("is_working_day expects a date, not a datetime")
        if d in self.make_up_days:
            return True
        if d in self.days_off or d.weekday() >= 5:
            return False
        return d not in self._holidays(d.year)

    def _next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d`` (bounded scan)."""
        for offset in range(1, MAX_SCAN_DAYS + 1):
            candidate = d + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise CalendarScanError(f"no working day within {MAX_SCAN_DAYS} days after {d}")

    def _periods(self, d: date) -> list[tuple[datetime, datetime]]:
        """UTC (start, end) periods of local date ``d``; empty if non-working."""
        if not self.is_working_day(d):
            return []
        return [(self._at(d, start), self._at(d, end)) for start, end in self.hours]

    def _at(self, d: date, t: time) -> datetime:
        return datetime.combine(d, t, tzinfo=self.tz).astimezone(UTC)

    def _local_date(self, dt: datetime) -> date:
        return dt.astimezone(self.tz).date()

    def _utc(self, dt: datetime, name: str = "datetime") -> datetime:
        _require_aware(dt, name)
        return dt.astimezone(UTC)

    def closing_time(self, d: date) -> datetime:
        """UTC end of the last office period on local date ``d`` (any date)."""
        return self._at(d, self.hours[-1][1])

    # ---------------------------------------------------------- instants ---
    def is_open(self, at: datetime) -> bool:
        """True if ``at`` lies inside an office period ``[start, end)`` of a working day."""
        at = self._utc(at, "at")
        return any(start <= at < end for start, end in self._periods(self._local_date(at)))

    def next_opening(self, at: datetime) -> datetime:
        """``at`` (in UTC) if the office is open then, else the next period start.

        Guarantees: the result is >= ``at`` and ``is_open(result)`` is True.
        Raises CalendarScanError if nothing opens within ``MAX_SCAN_DAYS``.
        """
        at = self._utc(at, "at")
        day = self._local_date(at)
        for _ in range(MAX_SCAN_DAYS + 1):
            for start, end in self._periods(day):
                if at < end:
                    return max(start, at)
            day += timedelta(days=1)
        raise CalendarScanError(f"office does not open within {MAX_SCAN_DAYS} days of {at}")

    # ------------------------------------------------------------ deadlines ---
    def add_working_days(self, start: datetime, n: int) -> datetime:
        """Due time at the same working-time position ``n`` working days later.

        ``start`` is first moved to ``next_opening(start)``; the local time of
        day is then kept while moving ``n`` working days forward, skipping any
        non-working day.  ``n == 0`` returns the opening-adjusted start.
        Guarantees: result is aware UTC, on a working day, inside office hours.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n!r}")
        local = to_local(self.next_opening(start), self.tz)
        day = local.date()
        for _ in range(n):
            day = self._next_working_day(day)
        return self._at(day, local.time().replace(tzinfo=None))

    def intake_due(self, submitted_at: datetime, working_days: int) -> datetime:
        """Deadline to accept or refuse an online dossier; same as ``add_working_days``."""
        return self.add_working_days(submitted_at, working_days)

    def add_working_time(self, start: datetime, delta: timedelta) -> datetime:
        """The instant after ``delta`` of office time counted from ``start``.

        Guarantees: ``working_time_between(start, result) == delta`` exactly
        (microsecond arithmetic).  A result falling exactly at a period's end
        is returned as that end, not moved to the next opening.  A zero delta
        returns ``next_opening(start)``.  Used to recompute a due date after a
        pause: ``add_working_time(resumed_at, remaining)``.
        """
        if not isinstance(delta, timedelta):
            raise TypeError(f"delta must be a timedelta, got {type(delta).__name__}")
        if delta < timedelta(0):
            raise ValueError(f"delta must not be negative, got {delta}")
        if not delta:
            return self.next_opening(start)
        cursor = self._utc(start, "start")
        remaining = delta
        day = self._local_date(cursor)
        days_without_work = 0
        while True:
            periods = self._periods(day)
            worked_today = False
            for p_start, p_end in periods:
                if p_end <= cursor:
                    continue
                worked_today = True
                seg_start = max(p_start, cursor)
                available = p_end - seg_start
                if remaining <= available:
                    return seg_start + remaining
                remaining -= available
            days_without_work = 0 if worked_today else days_without_work + 1
            if days_without_work > MAX_SCAN_DAYS:
                raise CalendarScanError(f"no working time within {MAX_SCAN_DAYS} days")
            day += timedelta(days=1)

    def add_working_hours(self, start: datetime, hours: float | int) -> datetime:
        """``hours`` hours of office time after ``start`` (see ``add_working_time``).

        Guarantees: landing exactly on a period end returns that end.
        Raises ValueError for negative or non-numeric ``hours``.
        """
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or hours < 0:
            raise ValueError(f"hours must be a non-negative number, got {hours!r}")
        return self.add_working_time(start, timedelta(hours=hours))

    def same_day_due(self, start: datetime) -> datetime:
        """Closing time today if accepted before the cutoff, else next working day's.

        A dossier accepted (local time) strictly before ``same_day_cutoff``
        (15:00) on a working day is due at that day's closing (end of the last
        period) -- this includes a start before opening or during lunch.
        Otherwise (at/after 15:00, or any time on a non-working day) it is due
        at the closing of the next working day.  If today's closing is not
        after ``start`` (an office closing before the cutoff), the next working
        day's closing is used, so the result is always later than ``start``.
        """
        start = self._utc(start, "start")
        local = to_local(start, self.tz)
        day = local.date()
        if self.is_working_day(day) and local.time().replace(tzinfo=None) < self.same_day_cutoff:
            closing = self.closing_time(day)
            if closing > start:
                return closing
        return self.closing_time(self._next_working_day(day))

    def due_at(self, start: datetime, amount: int, unit: str) -> datetime:
        """Dispatch on ``unit``: ``working_days``, ``working_hours`` or ``same_day``.

        ``amount`` is ignored for ``same_day``.  Unknown unit -> ValueError.
        """
        if unit == "working_days":
            return self.add_working_days(start, amount)
        if unit == "working_hours":
            return self.add_working_hours(start, amount)
        if unit == "same_day":
            return self.same_day_due(start)
        raise ValueError(
            f"Đơn vị thời hạn «{unit}» không hợp lệ; chỉ chấp nhận: {', '.join(UNITS)}."
        )

    def shown_deadline(self, due: datetime) -> datetime:
        """The instant a deadline is shown as: the end of the last office period before it
        when no working time lies between the two, else ``due`` itself.

        A deadline at the opening of a working day (07:00 Tuesday, after a dossier accepted
        out of hours) reads as the previous working day's closing (17:00 Monday); one at the
        start of the afternoon, or inside the lunch break, as the morning's end (11:30); one
        on a weekend or holiday as the closing of the working day before. Nothing is done
        between the two instants, so the promise is the same, and people read "by 17:00
        Monday" as meant. A deadline inside office hours or at a period's end is unchanged.
        """
        due = self._utc(due, "due")
        day = self._local_date(due)
        for _ in range(MAX_SCAN_DAYS + 1):
            for start, end in reversed(self._periods(day)):
                if end <= due:
                    return end
                if start < due:
                    return due  # strictly inside a period
            day -= timedelta(days=1)
        return due

    def work_starts(self, at: datetime) -> datetime | None:
        """When the office starts on something that arrived at ``at``: None while the office
        is open, else the next opening (a dossier filed at night, on a weekend or holiday)."""
        at = self._utc(at, "at")
        return None if self.is_open(at) else self.next_opening(at)

    # ------------------------------------------------------------ durations ---
    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Office time inside ``[a, b)``; ``timedelta(0)`` if ``b <= a``.

        Guarantees: only time inside office periods of working days counts;
        the cost is linear in the number of calendar days spanned.
        """
        a, b = self._utc(a, "a"), self._utc(b, "b")
        total = timedelta(0)
        if b <= a:
            return total
        day, last = self._local_date(a), self._local_date(b)
        while day <= last:
            for p_start, p_end in self._periods(day):
                overlap = min(p_end, b) - max(p_start, a)
                if overlap > timedelta(0):
                    total += overlap
            day += timedelta(days=1)
        return total
