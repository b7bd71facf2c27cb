"""Today's SEC ticker map, downloaded into `raw/<year>/` as a dated document: the SEC's file carries no
date, so the copy is named after the day it was saved (`company_tickers_exchange_2026-11-27.json`),
which is how the lake dates it (lib/documents/sec_tickers.py). Saved every day (the nightly run, or a
user's `fetch` of the current year), the maps date each company's tickers to the day.

The copy is kept only when it reads as a whole SEC map; it goes to a hidden file beside its target and
is swapped in with os.replace, so a failed or cut-short download leaves nothing. The SEC asks for a
contact in the User-Agent of automated requests: `contact` (RUSSELL_SEC_CONTACT) is added to it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from russell_pipeline.lib.documents.sec_tickers import read_sec_tickers
from russell_pipeline.lib.errors import InputError
from russell_pipeline.lib.fetch.download import Client

SEC_MAP_URL = "https://www.sec.gov/files/company_tickers_exchange.json"


@dataclass(frozen=True)
class MapOutcome:
    status: str  # fetched | present | failed
    path: Path
    line: str  # what happened, in one line

    @property
    def failure_line(self) -> str:
        return self.line


def map_path(raw: Path, day: date) -> Path:
    """Where the map saved on `day` goes: raw/<year>/company_tickers_exchange_<day>.json."""
    return raw / str(day.year) / f"company_tickers_exchange_{day.isoformat()}.json"


def fetch_ticker_map(raw: Path, client: Client, day: date, contact: str = "") -> MapOutcome:
    """The SEC's ticker map as of `day` (today) into raw/<year>/, unless a copy of that day is there."""
    dest = map_path(raw, day)
    shown = dest.relative_to(raw.parent) if dest.is_relative_to(raw.parent) else dest
    if dest.exists():
        return MapOutcome("present", dest, f"{shown}: already present")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".fetch-{dest.name}")
    if contact:
        client.user_agent = f"{client.user_agent} {contact}"
    try:
        got = client.get(SEC_MAP_URL, tmp)
        data = tmp.read_bytes()
        rows = read_sec_tickers(str(shown), data, got.sha256)
        os.replace(tmp, dest)
    except InputError as err:
        return MapOutcome("failed", dest, f"{shown}: not fetched: {err}")
    finally:
        tmp.unlink(missing_ok=True)
    return MapOutcome("fetched", dest, f"{shown}: fetched, {rows.height:,} tickers ({got.bytes:,} bytes)")
