"""Every setting the pipeline reads from its environment, read once, in this one place.

`Settings.from_env()` is called once per process (by the CLI, by `build`, and when Dagster loads
the definitions); everything else is handed the object: the lake is `Lake.from_settings(settings)`
(lake/lake_root.py) and the assets get it in the one Dagster resource `resources(settings)`
(defs/resources.py), so the lake `build` plans on is the lake its runs write. No other module reads a
`RUSSELL_*` variable. The market and fetch fields after `limits` have no variable: tests and code set them.

| variable | default | what |
|---|---|---|
| RUSSELL_DATA_LAKE | ./data_lake | the lake: a folder, or s3://bucket/prefix |
| RUSSELL_MARKET_DATA | (synthetic feed) | a folder of market data in the contract's layout |
| RUSSELL_MIRROR | (the publishers) | `fetch` reads https://host/path from MIRROR/host/path |
| RUSSELL_SEC_CONTACT | | a contact (e-mail) `fetch` adds to its User-Agent for the SEC's ticker map |
| RUSSELL_LAKE_CACHE | ~/.cache/russell_pipeline | local folder of an object-store lake |
| RUSSELL_LOCK_TIMEOUT | 600 | seconds a writer waits for the lake lock |
| RUSSELL_LAKE_RETENTION_HOURS | 168 | replaced data files kept this long for readers of older versions |
| RUSSELL_MAX_PDF_MB, RUSSELL_MAX_TEXT_MB, RUSSELL_MAX_PAGES | 50, 10, 500 | bounds of an untrusted document |
| RUSSELL_TRACKED_ASSETS | (none) | dollars tracking each index (`Russell 2000=1e12`): passive demand's size |
| RUSSELL_FAULT | | tests only: `<table>:<point>` kills the process there (crash tests) |
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from pathlib import Path

from russell_pipeline.lib.documents.limits import LIMIT_ENV, Limits
from russell_pipeline.lib.forecast.tracked import parse_tracked, tracked_text

DEFAULT_LAKE = "data_lake"
DEFAULT_CACHE = Path.home() / ".cache" / "russell_pipeline"
DEFAULT_LOCK_TIMEOUT = 600.0  # seconds
DEFAULT_RETENTION_HOURS = 168


class SettingsError(ValueError):
    """A setting with a value that cannot be used; str() is one line naming the variable."""


def _number(environ: Mapping[str, str], name: str, default: float, whole: bool = False) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        value = -1
    if value <= 0:
        raise SettingsError(f"{name}={raw!r}: expected a positive {'whole number' if whole else 'number'}")
    return value


def _tracked(environ: Mapping[str, str]) -> tuple[tuple[str, float], ...]:
    """`RUSSELL_TRACKED_ASSETS`: the assets tracking each index (none when unset: no hidden default)."""
    raw = environ.get("RUSSELL_TRACKED_ASSETS", "").strip()
    if not raw:
        return ()
    try:
        return parse_tracked(raw)
    except ValueError as err:
        raise SettingsError(f"RUSSELL_TRACKED_ASSETS={raw!r}: {err}") from None


def _limits(environ: Mapping[str, str]) -> Limits:
    """The document bounds, `RUSSELL_MAX_PDF_MB` and `RUSSELL_MAX_TEXT_MB` in MB (decimals allowed)."""
    values = {}
    for name, (var, unit) in LIMIT_ENV.items():
        if environ.get(var, "").strip():
            number = _number(environ, var, 0, whole=unit == 1)
            values[name] = int(number * unit)
            if values[name] < 1:
                raise SettingsError(f"{var}={environ[var]!r}: expected a positive number")
    return Limits(**values)


@dataclass(frozen=True)
class Settings:
    data_lake: str = DEFAULT_LAKE
    # Whether the lake was named (RUSSELL_DATA_LAKE): a named folder must exist unless `build --init`.
    data_lake_named: bool = False
    market_data: str = ""
    mirror: str = ""
    sec_contact: str = ""
    lake_cache: Path = DEFAULT_CACHE
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    retention_hours: int = DEFAULT_RETENTION_HOURS
    # US dollars tracking each index ((index, dollars), ...): what passive demand is sized for; () unset.
    tracked_assets: tuple[tuple[str, float], ...] = ()
    limits: Limits = field(default_factory=Limits)
    # The market data: the synthetic feed's last session (None: the last completed NYSE session) and
    # stock count, the time it is (None: the clock), and the most sessions a price may be older than a
    # cut-off.
    synthetic_end: date | None = None
    synthetic_stocks: int = 1000
    now: datetime | None = None
    max_stale_sessions: int = 10
    # `fetch`: a registry CSV replacing the packaged one ("": the packaged), and each download's timeout (s).
    sources: str = ""
    timeout: float = 60.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        lake = env.get("RUSSELL_DATA_LAKE", "").strip()
        return cls(
            data_lake=lake or DEFAULT_LAKE,
            data_lake_named=bool(lake),
            market_data=env.get("RUSSELL_MARKET_DATA", "").strip(),
            mirror=env.get("RUSSELL_MIRROR", "").strip(),
            sec_contact=env.get("RUSSELL_SEC_CONTACT", "").strip(),
            lake_cache=Path(env.get("RUSSELL_LAKE_CACHE", "").strip() or DEFAULT_CACHE),
            lock_timeout=_number(env, "RUSSELL_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT),
            retention_hours=int(
                _number(env, "RUSSELL_LAKE_RETENTION_HOURS", DEFAULT_RETENTION_HOURS, whole=True)
            ),
            tracked_assets=_tracked(env),
            limits=_limits(env),
        )

    def with_lake(self, root: str | Path) -> Settings:
        """The same settings over another lake (a lake given in code, a test's folder)."""
        return replace(self, data_lake=str(root), data_lake_named=True)

    def environ(self, dagster_home: str | Path | None = None) -> dict[str, str]:
        """The variables that hand these settings to another process, where `from_env` reads them back
        equal (a `russell-pipeline` subprocess of a test, a launcher), and DAGSTER_HOME if given. Every
        variable is set, a default too, so nothing of this process's environment shows through. The
        fields that have no variable must be at their defaults: no process could be told them."""
        names, default = [f.name for f in fields(self)], Settings()
        after_limits = names[names.index("limits") + 1 :]  # the fields without a variable
        unsaid = [name for name in after_limits if getattr(self, name) != getattr(default, name)]
        if unsaid:
            raise SettingsError(f"{', '.join(unsaid)}: no environment variable hands this to a process")
        named = self.data_lake_named or self.data_lake != DEFAULT_LAKE
        env = {
            "RUSSELL_DATA_LAKE": self.data_lake if named else "",
            "RUSSELL_MARKET_DATA": self.market_data,
            "RUSSELL_MIRROR": self.mirror,
            "RUSSELL_SEC_CONTACT": self.sec_contact,
            "RUSSELL_LAKE_CACHE": str(self.lake_cache),
            "RUSSELL_LOCK_TIMEOUT": repr(float(self.lock_timeout)),
            "RUSSELL_LAKE_RETENTION_HOURS": str(self.retention_hours),
            "RUSSELL_TRACKED_ASSETS": tracked_text(dict(self.tracked_assets)),
        }
        for name, (var, unit) in LIMIT_ENV.items():
            value = getattr(self.limits, name)
            number = value / unit  # the smallest that `_limits` turns back into `value`
            while int(number * unit) < value:
                number = math.nextafter(number, math.inf)
            env[var] = str(value) if unit == 1 else repr(number)
        if dagster_home is not None:
            env["DAGSTER_HOME"] = str(dagster_home)
        return env


def fault_point() -> str:
    """`RUSSELL_FAULT` (crash tests only): read when a write reaches a named point, so a test's
    subprocess can be killed exactly there."""
    return os.environ.get("RUSSELL_FAULT", "")
