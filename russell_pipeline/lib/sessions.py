"""NYSE trading sessions, with explicit bounds: the weekdays the exchange is open.

The full-day closures (holidays, and special closures such as 2001-09-11..14, 2012-10-29..30 or a
national day of mourning) come from the `holidays` package's NYSE calendar, a pure-Python library
that loads in a fraction of a second; the tests check the sessions equal exchange-calendars' XNYS
sessions day for day over the whole range. (exchange-calendars, with the pandas it rests on, was a
fifth of the code a first build compiled.) Only the NYSE's module is loaded: the package's own route
(`holidays.financial_holidays("NYSE")`) imports every exchange's module and, through them, every
country's, 280 modules (0.08 s a process, and 0.65 s to compile on a first run: `_closures`).
"""

from __future__ import annotations

import bisect
import importlib.util
import sys
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    import holidays

FIRST_DAY = date(1989, 1, 1)  # the calendar's first year (rules.FIRST_YEAR)
LAST_DAY = date(2035, 12, 31)


_NYSE = "holidays.financial.ny_stock_exchange"


def _closures(years: range) -> holidays.HolidayBase:
    """The NYSE's full-day closures in `years`: holidays' NYSE module run from its file, without its
    package's `__init__` (which imports every exchange); through the package when that is imported
    already, or when a release keeps the module elsewhere. The package is imported here, by the first
    question about a session: a process that asks none (`parse` of a list) does without its 0.03 s."""
    import holidays

    path = Path(holidays.__file__).parent / "financial" / "ny_stock_exchange.py"
    if _NYSE in sys.modules or not path.is_file():
        return holidays.financial_holidays("NYSE", years=years)
    spec = importlib.util.spec_from_file_location(_NYSE, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.NewYorkStockExchange(years=years)


@lru_cache(maxsize=1)
def _all_sessions() -> tuple[date, ...]:
    # The closures' dates as a plain set: a lookup in the holidays object converts its key every time
    # (half the time of this function, run by every process that asks about a session).
    closed = set(_closures(range(FIRST_DAY.year, LAST_DAY.year + 1)))
    days = (FIRST_DAY + timedelta(n) for n in range((LAST_DAY - FIRST_DAY).days + 1))
    return tuple(d for d in days if d.weekday() < 5 and d not in closed)


def _check_bounds(d: date) -> None:
    if not FIRST_DAY <= d <= LAST_DAY:
        raise ValueError(f"{d} is outside the NYSE calendar bounds {FIRST_DAY}..{LAST_DAY}")


def sessions(start: date, end: date) -> list[date]:
    """NYSE sessions with start <= session <= end."""
    _check_bounds(start)
    _check_bounds(end)

    all_ = _all_sessions()
    return list(all_[bisect.bisect_left(all_, start) : bisect.bisect_right(all_, end)])


def is_session(d: date) -> bool:
    _check_bounds(d)

    all_ = _all_sessions()
    i = bisect.bisect_left(all_, d)
    return i < len(all_) and all_[i] == d


def previous_session(d: date) -> date:
    """d itself when it is a session, else the last session before it."""
    _check_bounds(d)

    all_ = _all_sessions()
    i = bisect.bisect_right(all_, d) - 1
    if i < 0:
        raise ValueError(
            f"no NYSE session on or before {d} within the calendar bounds {FIRST_DAY}..{LAST_DAY}"
        )
    return all_[i]


def next_session(d: date) -> date:
    """The first session strictly after d."""
    _check_bounds(d)

    all_ = _all_sessions()
    return all_[bisect.bisect_right(all_, d)]


def sessions_between(a: date, b: date) -> int:
    """Number of sessions s with a < s <= b (how stale a price dated a is on day b)."""

    all_ = _all_sessions()
    return bisect.bisect_right(all_, b) - bisect.bisect_right(all_, a)


NEW_YORK = ZoneInfo("America/New_York")
OPEN = time(9, 30)  # the NYSE open, New York time
CLOSE = time(16, 0)  # the NYSE close, New York time
# The nightly run starts 18:30 New York time; the day's data are due by 20:00.
DEADLINE = time(20, 0)


def last_completed_session(now: datetime) -> date:
    """The last NYSE session whose close has happened at `now`: nothing dated later can be a fact yet."""
    local = now.astimezone(NEW_YORK)
    return previous_session(local.date() if local.time() >= CLOSE else local.date() - timedelta(days=1))


def close_held(moment: datetime) -> date | None:
    """The session whose close a snapshot of the market taken at `moment` holds (a screener's download,
    say): the last session closed by then; None while a session is open (from its open to its close,
    New York time), when the snapshot's prices are no session's close. An early close (13:00) is taken as
    16:00: a snapshot between the two is refused, never dated wrong."""
    local = moment.astimezone(NEW_YORK)
    if is_session(local.date()) and OPEN <= local.time() < CLOSE:
        return None
    return last_completed_session(moment)


def expected_last_session(now: datetime) -> date:
    """The last NYSE session whose close the data must show at `now`: today's once the deadline passed."""
    local = now.astimezone(NEW_YORK)
    day = local.date() if local.time() >= DEADLINE else local.date() - timedelta(days=1)
    return previous_session(day)
