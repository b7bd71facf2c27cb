"""Fetching the published documents: registry, polite client, honest failures, idempotence.

HTTP runs against a real server on 127.0.0.1 serving ../shared/real in the mirror layout
(`<mirror>/host/path`), driven through the mirror option as a user with an internal cache would.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from russell_pipeline.defs.fetch.assets import published_documents
from russell_pipeline.lake import checksums
from russell_pipeline.lake.document_tables import fetch_years
from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lib.calendar.projection import project_calendar
from russell_pipeline.lib.errors import InputError
from russell_pipeline.lib.fetch.download import Client, page_title, retry_delay
from russell_pipeline.lib.fetch.fetcher import MANIFEST, fetch_document, published_stage, review_window
from russell_pipeline.lib.fetch.registry import (
    COLUMNS,
    Address,
    Published,
    load_registry,
    mirrored,
    parse_years,
    registry_path,
)
from russell_pipeline.lib.sessions import previous_session
from russell_pipeline_tests.helpers import REAL, cli, materialize
from russell_pipeline_tests.lakes import lake_folder

ADDITIONS_2023 = "ru3000-additions-final-20230623.pdf"
DELETIONS_2023 = "ru3000-deletions-final-20230623.pdf"
DENIED = (
    b"<!DOCTYPE html><html><head><title>Access Denied</title></head><body><h1>Access Denied</h1>"
    b"You don't have permission to access this document. Reference #18.5f2a</body></html>"
)
TIMEOUT = 0.3


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def key(url: str) -> str:
    """Where the mirror keeps the file published at `url`."""
    return mirrored(url, "/").lstrip("/")


# ------------------------------------------------------------------ the mirror server
def _send(
    handler,
    status: int,
    body: bytes,
    ctype: str = "application/pdf",
    length: int | None = None,
    headers: dict | None = None,
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", ctype)
    handler.send_header("Content-Length", str(len(body) if length is None else length))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)
    handler.wfile.flush()


def html_page(handler, body, n):
    _send(handler, 200, DENIED, "text/html; charset=utf-8")


def html_as_pdf(handler, body, n):
    _send(handler, 200, DENIED, "application/pdf")


def cut_short(handler, body, n):
    _send(handler, 200, body[: len(body) // 2], length=len(body))


def without_eof(handler, body, n):
    _send(handler, 200, body[: len(body) // 2])


def stall_before_headers(handler, body, n):
    handler.server.release.wait(5)


def stall_in_body(handler, body, n):
    _send(handler, 200, b"", length=len(body))
    handler.server.release.wait(5)


def huge_announced(handler, body, n):
    handler.send_response(200)
    handler.send_header("Content-Type", "application/pdf")
    handler.send_header("Content-Length", str(2_000_000_000))
    handler.end_headers()
    handler.wfile.write(body[:1000])


def endless(handler, body, n):
    """A body with no length that never ends (until the client hangs up)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/pdf")
    handler.end_headers()
    chunk = b"%PDF-1.7\n" + b"A" * 65_526
    try:
        for _ in range(200):  # 13 MB at most: bounded even if the client never hangs up
            handler.wfile.write(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    handler.close_connection = True


def too_many_once(handler, body, n):
    if n == 1:
        _send(handler, 429, b"slow down", "text/plain", headers={"Retry-After": "0"})
    else:
        _send(handler, 200, body)


def unavailable(handler, body, n):
    _send(handler, 503, b"busy", "text/plain", headers={"Retry-After": "0"})


def redirect_to(location: str):
    def behave(handler, body, n):
        _send(handler, 302, b"", "text/plain", headers={"Location": location})

    return behave


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        server = self.server
        path = self.path.lstrip("/")
        with server.lock:
            server.hits[path] += 1
            n = server.hits[path]
        file = server.root / path
        body = file.read_bytes() if file.is_file() else None
        behaviour = server.behaviours.get(path)
        if behaviour is not None:
            behaviour(self, body, n)
        elif body is None:
            _send(self, 404, b"<html><head><title>404 Not Found</title></head></html>", "text/html")
        else:
            _send(self, 200, body)

    def log_message(self, *args):
        pass


class Mirror:
    """A directory in the `host/path` layout served on 127.0.0.1, with per-path misbehaviour."""

    def __init__(self, root: Path):
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.timeout = 0.05
        self.server.root, self.server.behaviours = root, {}
        self.server.hits, self.server.lock, self.server.release = (
            Counter(),
            threading.Lock(),
            threading.Event(),
        )
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        deadline = time.monotonic() + 120  # bounded: a forgotten server dies on its own
        while not self._stop.is_set() and time.monotonic() < deadline:
            self.server.handle_request()

    def publish(self, url: str, source: Path) -> None:
        target = self.server.root / key(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(source)

    def behave(self, url: str, behaviour) -> None:
        self.server.behaviours[key(url)] = behaviour

    def hits(self, url: str) -> int:
        return self.server.hits[key(url)]

    def total(self) -> int:
        return sum(self.server.hits.values())

    def close(self):
        self._stop.set()
        self.server.release.set()
        self._thread.join(5)
        self.server.server_close()


@pytest.fixture
def mirror(tmp_path):
    server = Mirror(tmp_path / "mirror")
    yield server
    server.close()


@pytest.fixture
def lake(tmp_path) -> Lake:
    return Lake(tmp_path / "lake")


def client(mirror: Mirror, **kw) -> Client:
    return Client(mirror=mirror.url, timeout=TIMEOUT, backoff=0.01, **kw)


def doc(
    file: str,
    url: str,
    *,
    year=2023,
    review="2023-06",
    kind="additions",
    stage="final",
    stamp="20230701",
    index="Russell 3000",
) -> Published:
    return Published(year, review, kind, index, stage, file, (Address(url, stamp, "seen"),))


def real_documents() -> list[Published]:
    """The packaged registry's documents that ../shared/real holds a copy of."""
    docs = [d for d in load_registry() if (REAL / d.file).is_file()]
    if not docs:
        pytest.skip(f"{REAL} holds none of the registry's documents (the real PDFs: docs/testing.md)")
    return docs


# ------------------------------------------------------------------ registry and pure functions
def test_the_registry_covers_2010_to_2027_and_names_the_real_files():
    registry = load_registry()
    assert {d.recon_year for d in registry} == set(range(2010, 2028))
    by_file = {(d.recon_year, d.file): d for d in registry}
    assert len(by_file) == len(registry)
    additions = by_file[(2023, ADDITIONS_2023)]
    assert (additions.kind, additions.index_name, additions.stage, additions.review) == (
        "additions",
        "Russell 3000",
        "final",
        "2023-06",
    )
    assert additions.addresses == (
        Address(
            "https://www.lseg.com/content/dam/ftse-russell/en_us/documents/other/ru3000-additions-final-20230623.pdf",
            "20230701",
            "seen",
        ),
    )
    assert additions.addresses[0].archive_url == (
        "https://web.archive.org/web/20230701id_/https://www.lseg.com/content/dam/ftse-russell/en_us/documents/"
        "other/ru3000-additions-final-20230623.pdf"
    )
    # LSEG overwrote 2016's list under one address: two documents, two captures, one URL.
    update = by_file[(2016, "russell-3000-index-2016-additions-update.pdf")]
    final = by_file[(2016, "russell-3000-index-2016-additions.pdf")]
    assert update.addresses[0].url == final.addresses[0].url
    assert (
        update.stage,
        update.addresses[0].archive_stamp,
        final.stage,
        final.addresses[0].archive_stamp,
    ) == ("update", "20160621133709", "final", "20160630013131")
    # A document published at two addresses keeps both, in order.
    assert [a.url for a in by_file[(2021, "ru3000_membershiplist_20210628.pdf")].addresses] == [
        "https://content.ftserussell.com/sites/default/files/ru3000_membershiplist_20210628.pdf",
        "https://www.ftserussell.com/files/support-document/2021-membership-list-r3000",
    ]


# The reconstitutions after the last published one: every list is inferred. Their list dates:
# (review, preliminary, updates, final = recon_close); membership lists are dated recon_close too.
PROJECTED = [
    ("2026-12", date(2026, 11, 20), [date(2026, 11, 27), date(2026, 12, 4)], date(2026, 12, 11)),
    (
        "2027-06",
        date(2027, 5, 21),
        [date(2027, 5, 28), date(2027, 6, 4), date(2027, 6, 11), date(2027, 6, 17)],
        date(2027, 6, 25),
    ),
    ("2027-12", date(2027, 11, 19), [date(2027, 11, 26), date(2027, 12, 3)], date(2027, 12, 10)),
]


def file_date(file: str) -> date:
    (stamp,) = re.findall(r"(?<!\d)(\d{8})(?!\d)", file)
    return datetime.strptime(stamp, "%Y%m%d").date()


def reconstitution_events(review: str) -> dict[str, list[date]]:
    """The dates of each event of the review's reconstitution (not its quarterly IPO review)."""
    cal = project_calendar(int(review[:4])).filter(
        (pl.col("review") == review) & (pl.col("review_type") != "quarterly_ipo")
    )
    return {e: sorted(g["date"]) for (e,), g in cal.group_by("event")}


def first_list_friday(rank_day: date) -> date:
    """The preliminary lists: the first Friday at least three weeks after rank day."""
    d = rank_day + timedelta(weeks=3)
    return previous_session(d + timedelta(days=(4 - d.weekday()) % 7))


@pytest.mark.parametrize(
    ("review", "preliminary", "updates", "final"), PROJECTED, ids=[p[0] for p in PROJECTED]
)
def test_the_registry_lists_every_russell_3000_list_of_the_projected_reconstitutions(
    review, preliminary, updates, final
):
    docs = [d for d in load_registry() if d.review == review]
    assert {d.recon_year for d in docs} == {int(review[:4])}  # a December review is its year's partition
    assert all(d.index_name == "Russell 3000" for d in docs)
    listed = sorted((d.kind, d.stage or "", file_date(d.file)) for d in docs)
    expected = [("membership_list", "", final)] + [
        (kind, stage, day)
        for kind in ("additions", "deletions")
        for stage, days in (("preliminary", [preliminary]), ("update", updates), ("final", [final]))
        for day in days
    ]
    assert listed == sorted(expected)
    assert all(a.confidence == "inferred" for d in docs for a in d.addresses)


@pytest.mark.parametrize("review", [p[0] for p in PROJECTED])
def test_the_projected_list_dates_fall_between_rank_day_and_recon_close(review):
    events = reconstitution_events(review)
    (rank_day,), (recon_close,) = events["rank_day"], events["recon_close"]
    docs = [d for d in load_registry() if d.review == review]
    assert docs
    for d in docs:
        day = file_date(d.file)
        assert rank_day <= day <= recon_close, d.file
        assert datetime.strptime(d.addresses[0].archive_stamp, "%Y%m%d").date() > day, (
            d.file
        )  # captured after
        if d.stage == "final" or d.kind == "membership_list":
            assert day == recon_close, d.file
    preliminary = {file_date(d.file) for d in docs if d.stage == "preliminary"}
    updates = sorted({file_date(d.file) for d in docs if d.stage == "update"})
    assert preliminary == {first_list_friday(rank_day)}
    # Where the calendar dates the lists (June), the registry follows it; December has no list rules yet,
    # so its lists follow the same weekly cadence from the preliminary Friday to recon_close.
    if "preliminary_list" in events:
        assert (preliminary, updates) == (set(events["preliminary_list"]), events["updated_preliminary_list"])
    else:
        (first,) = preliminary
        weekly = [previous_session(first + timedelta(weeks=k)) for k in range(1, 6)]
        assert updates == [d for d in weekly if d < recon_close]


@pytest.mark.parametrize("year", [2023, 2024, 2025, 2026, 2027])
def test_the_december_preliminary_rule_gives_every_projected_june_preliminary_date(year):
    events = reconstitution_events(f"{year}-06")
    assert events["preliminary_list"] == [first_list_friday(events["rank_day"][0])]


def test_no_two_registry_rows_share_the_url_of_a_projected_list():
    rows = pl.read_csv(registry_path(), infer_schema=False)
    projected = rows.filter(pl.col("review").is_in([p[0] for p in PROJECTED]))
    assert projected.height == 31
    counts = rows.group_by("url").len()
    shared = projected.join(counts, on="url").filter(pl.col("len") > 1)
    assert shared["url"].to_list() == []
    assert projected["note"].str.starts_with("inferred: ").all()
    assert (
        projected["url"].str.extract(r"/([^/]+)$")
        == projected["file"].str.replace(r"-(preliminary|update)\.pdf$", ".pdf")
    ).all()  # the file is the published name plus the stage


@pytest.mark.parametrize("review", ["2027-06", "2026-12", "2027-12"])
def test_the_fetcher_reads_each_projected_change_list_at_its_registered_stage(review):
    """June: the stage from the list's date against the projected list dates. December (semi-annual,
    no published list dates): the final list by its date, the others as the document names them,
    never from the December quarterly IPO review's list dates of the same month."""
    docs = [d for d in load_registry() if d.review == review and d.stage]
    assert {d.stage for d in docs} == {"preliminary", "update", "final"}
    named = review.endswith("-12")
    read = {
        d.file: published_stage(d.kind, d.review, file_date(d.file), d.stage if named else None) for d in docs
    }
    assert read == {d.file: d.stage for d in docs}
    if named:  # the final list is recognized by its date alone, whatever the text says
        final = next(d for d in docs if d.stage == "final")
        assert published_stage(final.kind, review, file_date(final.file), "update") == "final"


def test_the_registry_is_package_data(tmp_path):
    """The wheel built from the project (as the Docker image installs it) carries the registry and the
    other data files beside the modules, and nothing of the tests."""
    assert registry_path().name == "sources.csv" and registry_path().is_file()
    uv = Path(sys.executable).with_name("uv")
    if not uv.is_file():
        pytest.skip(f"needs uv at {uv} to build the wheel (`make setup` installs it)")
    root = Path(__file__).resolve().parents[2]
    built = subprocess.run(
        [str(uv), "build", "--wheel", "--quiet", "--out-dir", str(tmp_path), str(root)],
        check=False,
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = tmp_path.glob("russell_pipeline-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "russell_pipeline/lib/fetch/sources.csv",
        "russell_pipeline/dagster.yaml",
        "russell_pipeline/lake/macros/membership_in_force.sql",
        "russell_pipeline/cli/__init__.py",
    } <= names
    assert not any(n.startswith(("russell_pipeline_tests/", "data_lake/", "bench/")) for n in names)


ROW = {
    "recon_year": "2023",
    "review": "2023-06",
    "kind": "additions",
    "index_name": "Russell 3000",
    "stage": "final",
    "file": "a.pdf",
    "url": "https://h.test/a.pdf",
    "archive_stamp": "2023",
    "confidence": "seen",
    "note": "",
}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            {"kind": "adds"},
            (
                "line 2: kind 'adds' is not one of membership_list, additions, deletions, ipo_additions, "
                "schedule"
            ),
        ),
        (
            {"review": "2024-06"},
            "line 2: recon_year '2023' and review '2024-06' must read like 2025 and 2025-06",
        ),
        ({"stage": "draft"}, "line 2: stage 'draft' is not one of preliminary, update, final"),
        ({"kind": "membership_list"}, "line 2: a membership_list document has no stage (got 'final')"),
        ({"file": "../a.pdf"}, "line 2: file '../a.pdf' must be a plain file name ending in .pdf"),
        ({"url": "ftp://h.test/a.pdf"}, "line 2: url 'ftp://h.test/a.pdf' is not an http(s) address"),
        (
            {"archive_stamp": "16"},
            "line 2: archive_stamp '16' is not a web-archive timestamp (YYYY to YYYYMMDDhhmmss)",
        ),
        ({"confidence": "guess"}, "line 2: confidence 'guess' is not one of seen, inferred"),
    ],
)
def test_a_bad_registry_row_is_one_line_naming_file_and_line(tmp_path, change, problem):
    path = tmp_path / "sources.csv"
    row = ROW | change
    path.write_text(",".join(COLUMNS) + "\n" + ",".join(row[c] for c in COLUMNS) + "\n")
    with pytest.raises(InputError) as err:
        load_registry(path)
    assert str(err.value) == f"{path}: {problem}"


def test_a_registry_line_short_of_a_field_is_refused_naming_it(tmp_path):
    """(Read with the missing field empty before: a line short of its `note` passed unseen.)"""
    path = tmp_path / "sources.csv"
    path.write_text(",".join(COLUMNS) + "\n" + ",".join(ROW[c] for c in COLUMNS[:-1]) + "\n")
    with pytest.raises(InputError) as err:
        load_registry(path)
    assert str(err.value) == (
        f"{path}: line 2: {len(COLUMNS) - 1} fields, the header has {len(COLUMNS)} "
        "(a line cut short, or a field left out)"
    )


def test_two_rows_of_one_document_must_agree(tmp_path):
    path = tmp_path / "sources.csv"
    rows = [ROW, ROW | {"url": "https://other.test/a.pdf"}, ROW | {"stage": "update"}]
    path.write_text("\n".join(",".join(r[c] for c in COLUMNS) for r in [dict(zip(COLUMNS, COLUMNS))] + rows))
    with pytest.raises(InputError) as err:
        load_registry(path)
    assert str(err.value) == f"{path}: line 4: a.pdf is described differently on an earlier line"
    path.write_text(
        "\n".join(",".join(r[c] for c in COLUMNS) for r in [dict(zip(COLUMNS, COLUMNS))] + rows[:2])
    )
    (only,) = load_registry(path)
    assert [a.url for a in only.addresses] == ["https://h.test/a.pdf", "https://other.test/a.pdf"]


@pytest.mark.parametrize(
    ("text", "years"), [("2024", [2024]), ("2010..2013", [2010, 2011, 2012, 2013]), (" 2026..2026 ", [2026])]
)
def test_parse_years(text, years):
    assert parse_years(text) == years


@pytest.mark.parametrize("text", ["2026..2010", "24", "2010-2012", "2010..", ""])
def test_parse_years_rejects(text):
    with pytest.raises(ValueError, match="expected a year"):
        parse_years(text)


@pytest.mark.parametrize(
    ("url", "mirror", "expected"),
    [
        ("https://www.lseg.com/x/a.pdf", "http://cache:8080/m/", "http://cache:8080/m/www.lseg.com/x/a.pdf"),
        ("http://www.ftserussell.com/files/s", "file-cache", "file-cache/www.ftserussell.com/files/s"),
        (
            "https://web.archive.org/web/2016id_/http://h/a",
            "http://c",
            "http://c/web.archive.org/web/2016id_/http://h/a",
        ),
        ("https://www.lseg.com/x/a.pdf", "", "https://www.lseg.com/x/a.pdf"),
    ],
)
def test_mirror_rewrites_https_host_path(url, mirror, expected):
    assert mirrored(url, mirror) == expected


@pytest.mark.parametrize(
    ("attempt", "header", "expected"),
    [
        (1, None, 0.5),
        (2, None, 1.0),
        (4, None, 4.0),
        (1, "7", 7.0),
        (3, "0", 0.0),
        (1, "Sun, 22 Nov 2026 12:00:30 GMT", 30.0),
        (1, "Sun, 22 Nov 2026 11:00:00 GMT", 0.0),
        (2, "soon", 1.0),
    ],
)
def test_retry_delay_honours_retry_after_else_backs_off_exponentially(attempt, header, expected):
    now = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)
    assert retry_delay(attempt, header, 0.5, now) == expected


def test_page_title():
    assert page_title(DENIED) == "Access Denied"
    assert page_title(b"%PDF-1.3 no title here") is None


@pytest.mark.parametrize(
    ("kind", "review", "created", "text_stage", "expected"),
    [
        ("additions", "2016-06", date(2016, 6, 10), "final", "preliminary"),  # the creation date decides
        ("additions", "2016-06", date(2016, 6, 17), None, "update"),
        ("additions", "2016-06", date(2016, 6, 24), None, "final"),
        (
            "deletions",
            "2022-06",
            date(2022, 6, 17),
            None,
            "final",
        ),  # 2019-2022: final a week before the close
        ("deletions", "2025-06", date(2025, 5, 22), None, "preliminary"),  # rendered the evening before
        ("deletions", "2025-06", date(2025, 5, 30), None, "update"),
        ("deletions", "2025-06", date(2025, 6, 27), None, "final"),
        ("ipo_additions", "2025-09", date(2025, 8, 29), None, "preliminary"),
        ("ipo_additions", "2025-09", date(2025, 9, 5), None, "final"),
        ("additions", "2023-06", None, "update", "update"),  # no creation date: the text's stage
        ("additions", "2012-06", date(2012, 6, 22), "final", "final"),  # before the projected years
        ("membership_list", "2022-06", date(2022, 6, 24), None, None),
    ],
)
def test_published_stage(kind, review, created, text_stage, expected):
    assert published_stage(kind, review, created, text_stage) == expected


@pytest.mark.parametrize(
    ("review", "window"),
    [
        ("2025-06", (date(2025, 4, 1), date(2025, 7, 31))),
        ("2026-12", (date(2026, 10, 1), date(2027, 1, 31))),
        ("2026-01", (date(2025, 11, 1), date(2026, 2, 28))),
    ],
)
def test_review_window(review, window):
    assert review_window(review) == window


# ------------------------------------------------------------------ over HTTP
def test_fetch_stores_the_published_bytes_then_downloads_nothing_again(mirror, lake):
    docs = real_documents()
    for d in docs:
        mirror.publish(d.addresses[0].url, REAL / d.file)
    outcomes = fetch_years(lake, [2016, 2022, 2023], docs, client(mirror))
    assert [(o.document.file, o.status) for o in outcomes] == [(d.file, "fetched") for d in docs]
    for d in docs:
        assert sha(lake.raw / str(d.recon_year) / d.file) == sha(REAL / d.file)
    manifest = lake.tables.read(MANIFEST).sort("recon_year", "file")
    row = manifest.filter(pl.col("file") == ADDITIONS_2023).row(0, named=True)
    url = "https://www.lseg.com/content/dam/ftse-russell/en_us/documents/other/" + ADDITIONS_2023
    assert {k: v for k, v in row.items() if k != "fetched_at"} == {
        "recon_year": 2023,
        "file": ADDITIONS_2023,
        "path": f"raw/2023/{ADDITIONS_2023}",
        "kind": "additions",
        "index_name": "Russell 3000",
        "review": "2023-06",
        "stage": "final",
        "doc_type": "additions",
        "pdf_created": date(2023, 6, 23),
        "url": url,
        "source": "publisher",
        "final_url": mirrored(url, mirror.url),
        "http_status": 200,
        "sha256": sha(REAL / ADDITIONS_2023),
        "bytes": 216529,
    }
    assert manifest.select("file", "stage", "doc_type", "pdf_created").rows() == [
        ("ru3000_membershiplist_20160627.pdf", None, "membership_list", date(2016, 6, 27)),
        ("ru3000_membershiplist_20220624_0.pdf", None, "membership_list", date(2022, 6, 24)),
        (ADDITIONS_2023, "final", "additions", date(2023, 6, 23)),
        (DELETIONS_2023, "final", "deletions", date(2023, 6, 23)),
    ]
    assert checksums.check(lake)[:2] == ([], [])  # the manifest's files recorded as every commit's are
    # Idempotent: a file whose sha256 the manifest knows is not requested again.
    requests = mirror.total()
    again = fetch_years(lake, [2016, 2022, 2023], docs, client(mirror))
    assert [o.status for o in again] == ["present"] * len(docs)
    assert mirror.total() == requests == len(docs)
    assert lake.tables.read(MANIFEST).sort("recon_year", "file").equals(manifest)
    # A file changed on disk is no longer vouched for: fetched again, the rest still skipped.
    (lake.raw / "2023" / ADDITIONS_2023).write_bytes(b"edited")
    third = fetch_years(lake, [2023], docs, client(mirror))
    assert [(o.document.file, o.status) for o in third if o.document.recon_year == 2023] == [
        (ADDITIONS_2023, "fetched"),
        (DELETIONS_2023, "present"),
    ]
    assert sha(lake.raw / "2023" / ADDITIONS_2023) == sha(REAL / ADDITIONS_2023)
    assert mirror.total() == requests + 1


BAD = [  # (file, behaviour, the problem with the publisher copy)
    ("missing.pdf", None, "HTTP 404 Not Found (404 Not Found)"),
    ("denied.pdf", html_page, "served an HTML page ('Access Denied') instead of a PDF"),
    ("denied-as-pdf.pdf", html_as_pdf, "served an HTML page ('Access Denied') instead of a PDF"),
    ("cut.pdf", cut_short, "truncated body: 108,264 of the 216,529 bytes announced (Content-Length)"),
    ("no-eof.pdf", without_eof, "truncated PDF (no %%EOF marker at the end)"),
    ("stalled.pdf", stall_before_headers, f"timed out (no data for {TIMEOUT:g} s)"),
    ("stalled-body.pdf", stall_in_body, f"timed out (no data for {TIMEOUT:g} s) after 0 bytes of the body"),
    ("busy.pdf", unavailable, "HTTP 503 Service Unavailable, still after 3 attempts"),
    (
        "huge.pdf",
        huge_announced,
        (
            "announces a body of 2,000,000,000 bytes (Content-Length), over the limit of "
            "1,000,000 (set RUSSELL_MAX_PDF_MB to raise it)"
        ),
    ),
    (
        "endless.pdf",
        endless,
        (
            "body still going after 983,040 bytes, over the limit of 1,000,000 (set "
            "RUSSELL_MAX_PDF_MB to raise it)"
        ),
    ),
]


def test_each_failure_is_one_line_writes_nothing_and_stops_no_other_document(mirror, lake, real_pdf):
    real = real_pdf(ADDITIONS_2023)
    good = doc(ADDITIONS_2023, "https://files.test/good/" + ADDITIONS_2023)
    mirror.publish(good.addresses[0].url, real)
    bad = []
    for file, behaviour, _ in BAD:
        d = doc(file, f"https://files.test/bad/{file}")
        mirror.publish(d.addresses[0].url, real)  # the file exists; the server misbehaves serving it
        if behaviour is None:
            (mirror.server.root / key(d.addresses[0].url)).unlink()
        else:
            mirror.behave(d.addresses[0].url, behaviour)
        bad.append(d)
    docs = bad[:4] + [good] + bad[4:]
    # A killed fetch's staging folder (its process is gone) is removed; a running one's is not.
    stale, live = lake.raw / "2023" / ".fetch-999999999-abc", lake.raw / "2023" / f".fetch-{os.getpid()}-live"
    for folder in (stale, live):
        folder.mkdir(parents=True)
        (folder / "partial.pdf").write_bytes(b"%PDF-1.7 partial")
    outcomes = fetch_years(lake, [2023], docs, client(mirror, retries=2, max_bytes=1_000_000))
    assert not stale.exists()
    shutil.rmtree(live)
    assert [(o.document.file, o.status) for o in outcomes] == [
        (d.file, "failed" if d in bad else "fetched") for d in docs
    ]
    for (file, _, problem), d in zip(BAD, bad, strict=True):
        (outcome,) = [o for o in outcomes if o.document is d]
        archive = mirrored(d.addresses[0].archive_url, mirror.url)
        assert outcome.failure_line == (
            f"raw/2023/{file} not fetched: {mirrored(d.addresses[0].url, mirror.url)}: {problem}; "
            f"{archive}: HTTP 404 Not Found (404 Not Found)"
        )
        assert mirror.hits(d.addresses[0].archive_url) == 1
    busy = next(d for d in bad if d.file == "busy.pdf")
    assert mirror.hits(busy.addresses[0].url) == 3  # 503: the first try and two retries
    # Nothing but the good file, no staging folder left behind, one manifest row.
    assert sorted(p.name for p in (lake.raw / "2023").iterdir()) == [ADDITIONS_2023]
    assert lake.tables.read(MANIFEST)["file"].to_list() == [ADDITIONS_2023]


def test_429_then_success_retries_and_stores(mirror, lake, real_pdf):
    d = doc(ADDITIONS_2023, "https://files.test/" + ADDITIONS_2023)
    mirror.publish(d.addresses[0].url, real_pdf(ADDITIONS_2023))
    mirror.behave(d.addresses[0].url, too_many_once)
    (outcome,) = fetch_years(lake, [2023], [d], client(mirror))
    assert (outcome.status, outcome.row["http_status"], outcome.row["stage"]) == ("fetched", 200, "final")
    assert mirror.hits(d.addresses[0].url) == 2


def test_an_overwritten_address_yields_each_stage_from_its_own_copy(mirror, lake, tmp_path, real_pdf):
    """LSEG replaced the update under the same address: the creation date tells the copies apart."""
    real = real_pdf(ADDITIONS_2023).read_bytes()
    update = tmp_path / "update.pdf"
    update.write_bytes(real.replace(b"D:20230623003008", b"D:20230616003008"))
    url = "https://files.test/other/ru3000-additions.pdf"
    early = doc("ru3000-additions-update.pdf", url, stage="update", stamp="20230617")
    final = doc("ru3000-additions.pdf", url, stage="final", stamp="2023")
    capture = Address(url, "20230624000000", "seen").archive_url
    mirror.publish(url, update)  # the address now holds the update copy
    mirror.publish(capture, real_pdf(ADDITIONS_2023))
    mirror.behave(
        final.addresses[0].archive_url, redirect_to("/" + key(capture))
    )  # the archive's nearest capture
    outcomes = fetch_years(lake, [2023], [early, final], client(mirror))
    assert [(o.status, o.row["source"], o.row["stage"], o.row["pdf_created"]) for o in outcomes] == [
        ("fetched", "publisher", "update", date(2023, 6, 16)),
        ("fetched", "archive", "final", date(2023, 6, 23)),
    ]
    assert outcomes[1].row["final_url"] == mirrored(capture, mirror.url)
    assert sha(lake.raw / "2023" / "ru3000-additions.pdf") == sha(REAL / ADDITIONS_2023)
    assert sha(lake.raw / "2023" / "ru3000-additions-update.pdf") == sha(update)


@pytest.mark.parametrize(
    ("d", "problem"),
    [
        (
            doc("ipo.pdf", "https://files.test/ipo.pdf", year=2024, review="2024-09", kind="ipo_additions"),
            (
                "is a copy created 2023-06-23, another publication than the 2024-09 one "
                "(expected 2024-07-01 to 2024-10-31)"
            ),
        ),
        (doc("dels.pdf", "https://files.test/dels.pdf", kind="deletions"), "holds additions, not deletions"),
        (
            doc("prelim.pdf", "https://files.test/prelim.pdf", stage="preliminary"),
            "is the final list (created 2023-06-23), not the preliminary one",
        ),
    ],
)
def test_a_copy_that_is_not_the_registered_document_is_refused(mirror, lake, real_pdf, d, problem):
    mirror.publish(d.addresses[0].url, real_pdf(ADDITIONS_2023))
    outcome = fetch_document(lake.raw, d, client(mirror))
    assert outcome.problem.split("; ")[0] == f"{mirrored(d.addresses[0].url, mirror.url)}: {problem}"
    assert not (lake.raw / str(d.recon_year) / d.file).exists()


def test_a_whole_pdf_the_parser_does_not_recognize_is_kept_with_a_warning(mirror, lake, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pdf = tmp_path / "note.pdf"
    with matplotlib.rc_context({"pdf.fonttype": 42}):
        fig = plt.figure()
        fig.text(0.1, 0.5, "Quarterly IPO review note")
        fig.savefig(pdf, metadata={"CreationDate": datetime(2023, 9, 1, tzinfo=UTC)})
        plt.close(fig)
    d = doc(
        "final-ipo-additions-3-qtr-r3000.pdf",
        "https://files.test/ipo.pdf",
        review="2023-09",
        kind="ipo_additions",
    )
    mirror.publish(d.addresses[0].url, pdf)
    outcome = fetch_document(lake.raw, d, client(mirror))
    warning = (
        "the parser cannot read it: not a recognized FTSE Russell document (no company list header, "
        "schedule or ground rules found)"
    )
    assert (outcome.status, outcome.row["doc_type"], outcome.row["stage"], outcome.warning) == (
        "fetched",
        None,
        "final",
        warning,
    )
    assert outcome.line.endswith(f"; warning: {warning}")


def test_a_plain_folder_serves_as_mirror(tmp_path, lake, real_pdf):
    folder = tmp_path / "cache"
    good = doc(ADDITIONS_2023, "https://www.lseg.com/x/" + ADDITIONS_2023)
    gone = doc("gone.pdf", "https://www.lseg.com/x/gone.pdf")
    (folder / "www.lseg.com" / "x").mkdir(parents=True)
    (folder / "www.lseg.com" / "x" / ADDITIONS_2023).symlink_to(real_pdf(ADDITIONS_2023))
    fetched, failed = fetch_years(lake, [2023], [good, gone], Client(mirror=str(folder)))
    assert (fetched.status, fetched.row["final_url"], fetched.row["http_status"]) == (
        "fetched",
        f"{folder.resolve().as_uri()}/www.lseg.com/x/{ADDITIONS_2023}",
        None,
    )
    assert (
        failed.problem.split("; ")[0] == f"{folder.resolve().as_uri()}/www.lseg.com/x/gone.pdf: no such file"
    )


def test_a_failed_download_leaves_the_file_already_there(mirror, lake):
    d = doc(ADDITIONS_2023, "https://files.test/gone/" + ADDITIONS_2023)
    target = lake.raw / "2023" / ADDITIONS_2023
    target.parent.mkdir(parents=True)
    target.write_bytes(b"%PDF-1.3 the copy the user already had")
    (outcome,) = fetch_years(lake, [2023], [d], client(mirror))
    assert outcome.status == "failed"
    assert target.read_bytes() == b"%PDF-1.3 the copy the user already had"
    assert sorted(p.name for p in target.parent.iterdir()) == [ADDITIONS_2023]


# ------------------------------------------------------------------ through Dagster and the CLI
def _registry_csv(path: Path, docs: list[Published]) -> Path:
    lines = [",".join(COLUMNS)] + [
        ",".join(
            [
                str(d.recon_year),
                d.review,
                d.kind,
                d.index_name or "",
                d.stage or "",
                d.file,
                a.url,
                a.archive_stamp,
                a.confidence,
                "",
            ]
        )
        for d in docs
        for a in d.addresses
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_published_documents_asset_fetches_a_partition(mirror, tmp_path):
    docs = [d for d in real_documents() if d.recon_year == 2023]
    for d in docs:
        mirror.publish(d.addresses[0].url, REAL / d.file)
    sources = _registry_csv(tmp_path / "sources.csv", docs)
    root = tmp_path / "lake"
    resources = lake_folder(root).resources(mirror=mirror.url, sources=str(sources), timeout=TIMEOUT)
    with dg.DagsterInstance.ephemeral() as instance:
        result = materialize([published_documents], resources, instance, "2023")
        assert result.success
        (mat,) = result.asset_materializations_for_node("published_documents")
        assert (mat.metadata["fetched"].value, mat.metadata["already_present"].value) == (2, 0)
        assert sorted(Lake(root).tables.read(MANIFEST)["file"]) == [ADDITIONS_2023, DELETIONS_2023]
        # A document that cannot be fetched fails the partition with its line; the others stay stored.
        broken = doc("missing.pdf", "https://files.test/missing.pdf")
        _registry_csv(sources, [*docs, broken])
        failed = materialize([published_documents], resources, instance, "2023")
        assert not failed.success
        (failure,) = [e for e in failed.all_events if e.is_step_failure]
        assert "1 of 3 documents not fetched:\nraw/2023/missing.pdf not fetched: " in (
            failure.step_failure_data.error.message
        )
    assert sorted(Lake(root).tables.read(MANIFEST)["file"]) == [ADDITIONS_2023, DELETIONS_2023]


@pytest.mark.slow
def test_cli_fetch_through_the_mirror(mirror, tmp_path):
    docs = real_documents()
    for d in docs:
        mirror.publish(d.addresses[0].url, REAL / d.file)
    folder = lake_folder(tmp_path / "lake")
    env = folder.env()
    sources = _registry_csv(tmp_path / "sources.csv", [d for d in docs if d.recon_year == 2023])
    done = cli("fetch", "2023", "--mirror", mirror.url, "--sources", str(sources), text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1:] == [
        (
            f"2023 Russell 3000 additions final: fetched raw/2023/{ADDITIONS_2023} (216,529 bytes, stage "
            "final, publisher copy)"
        ),
        (
            f"2023 Russell 3000 deletions final: fetched raw/2023/{DELETIONS_2023} (204,478 bytes, stage "
            "final, publisher copy)"
        ),
        (
            f"fetch: 2 fetched, 0 already present, 0 failed; files in {tmp_path / 'lake' / 'raw'}, listed in "
            "the fetch_manifest table"
        ),
    ]
    # The packaged registry through RUSSELL_MIRROR: what the mirror lacks is one error line per document.
    wanted = [d for d in load_registry() if d.recon_year in (2022, 2023)]
    done = cli("fetch", "2022..2023", text=True, env=folder.with_settings(mirror=mirror.url).env())
    missing = sorted((d for d in wanted if not (REAL / d.file).is_file()), key=lambda d: d.recon_year)
    assert done.returncode == 1
    errors = done.stderr.splitlines()
    assert [line.split(" not fetched: ")[0] for line in errors] == [
        f"error: raw/{d.recon_year}/{d.file}" for d in missing
    ]
    assert "2023 Russell 3000 additions final: already fetched raw/2023/" + ADDITIONS_2023 in done.stdout
    assert (tmp_path / "lake" / "raw" / "2022" / "ru3000_membershiplist_20220624_0.pdf").is_file()
    bad = cli("fetch", "2026..2020", text=True, env=env)
    assert (bad.returncode, bad.stderr.strip()) == (
        1,
        "error: years '2026..2020': expected a year (2024) or a range (2010..2026)",
    )
