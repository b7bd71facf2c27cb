"""A polite HTTP GET into a file (stdlib urllib).

Polite: a User-Agent naming the project, one request at a time per host with a pause between
them (none for a mirror, which is the user's own cache), and bounded retries with exponential
backoff on 429 and 5xx gateway answers, honouring Retry-After. Honest: every failure is one
`InputError(url, problem)`; a body shorter than its Content-Length, a stalled server, a
download running past its time limit or a body larger than the document size limit (announced
or streamed: never held in memory, never written past the limit) is an error, never a short file.
"""

from __future__ import annotations

import email.utils
import hashlib
import http.client
import os
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from russell_pipeline.lib.documents.limits import Limits, over_limit
from russell_pipeline.lib.errors import InputError
from russell_pipeline.lib.fetch.registry import mirrored

try:
    _VERSION = version("russell_pipeline")
except PackageNotFoundError:  # running from a source tree that was never installed
    _VERSION = "dev"
USER_AGENT = (
    f"russell_pipeline/{_VERSION} (fetches FTSE Russell's published index documents; one request at a time)"
)
RETRY_STATUSES = frozenset({429, 502, 503, 504})
CHUNK = 1 << 16
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Response:
    url: str  # the address asked for (after the mirror rewrite)
    final_url: str  # after redirects
    status: int | None  # None for file:// mirrors
    content_type: str
    bytes: int
    sha256: str


class _Retry(Exception):
    def __init__(self, reason: str, retry_after: str | None):
        super().__init__(reason)
        self.reason, self.retry_after = reason, retry_after


def retry_delay(attempt: int, retry_after: str | None, backoff: float, now: datetime | None = None) -> float:
    """Seconds before retry `attempt` (1, 2, ...): the server's Retry-After (seconds or an HTTP
    date) when it sends one, else `backoff * 2**(attempt - 1)`."""
    value = (retry_after or "").strip()
    if value.isdecimal():
        return float(value)
    if value:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
    return backoff * 2 ** (attempt - 1)


def page_title(body: bytes) -> str | None:
    """The <title> of an HTML page ("Access Denied"), to say what a server sent instead of a file."""
    m = _TITLE.search(body[:65536])
    title = " ".join(m.group(1).decode("utf-8", "replace").split())[:80] if m else ""
    return title or None


class Client:
    """Downloads with the manners above; `mirror` reads `https://host/path` from `mirror/host/path`."""

    def __init__(
        self,
        mirror: str = "",
        timeout: float = 60.0,
        retries: int = 3,
        backoff: float = 2.0,
        max_wait: float = 120.0,
        max_seconds: float = 900.0,
        interval: float | None = None,
        user_agent: str = USER_AGENT,
        max_bytes: int = Limits().pdf_bytes,
    ):
        # A mirror given as a plain folder is read through file:// URLs.
        if mirror and not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", mirror):
            mirror = Path(mirror).resolve().as_uri()
        self.mirror, self.timeout, self.retries, self.backoff = mirror, timeout, retries, backoff
        self.max_wait, self.max_seconds, self.user_agent = max_wait, max_seconds, user_agent
        self.max_bytes = max_bytes  # the document size limit (settings' RUSSELL_MAX_PDF_MB)
        self.interval = (0.0 if mirror else 1.0) if interval is None else interval
        self._guard = threading.Lock()
        self._hosts: dict[str, threading.Lock] = {}
        self._last: dict[str, float] = {}

    def get(self, url: str, dest: Path) -> Response:
        """`url` into the file `dest`; HTTP and transfer problems raise InputError naming the address."""
        target = mirrored(url, self.mirror)
        attempt = 1
        while True:
            try:
                return self._once(target, dest)
            except _Retry as retry:
                if attempt > self.retries:
                    raise InputError(target, f"{retry.reason}, still after {attempt} attempts") from None
                delay = retry_delay(attempt, retry.retry_after, self.backoff)
                if delay > self.max_wait:
                    raise InputError(
                        target,
                        f"{retry.reason}; the server asks to wait {delay:.0f} s, longer than "
                        f"the {self.max_wait:.0f} s this client waits",
                    ) from None
                time.sleep(delay)
                attempt += 1

    @contextmanager
    def _turn(self, host: str):
        """One request at a time per host, `interval` seconds apart."""
        with self._guard:
            lock = self._hosts.setdefault(host, threading.Lock())
        with lock:
            wait = self._last.get(host, float("-inf")) + self.interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                yield
            finally:
                self._last[host] = time.monotonic()

    def _once(self, target: str, dest: Path) -> Response:
        request = urllib.request.Request(
            target, headers={"User-Agent": self.user_agent, "Accept": "application/pdf, */*;q=0.1"}
        )
        with self._turn(urllib.parse.urlsplit(target).netloc):
            started = time.monotonic()
            try:
                response = urllib.request.urlopen(request, timeout=self.timeout)
            except urllib.error.HTTPError as err:
                with err:
                    body = _peek(err)
                if err.code in RETRY_STATUSES:
                    raise _Retry(f"HTTP {err.code} {err.reason}", err.headers.get("Retry-After")) from None
                title = page_title(body)
                raise InputError(
                    target, f"HTTP {err.code} {err.reason}" + (f" ({title})" if title else "")
                ) from None
            except (TimeoutError, urllib.error.URLError, http.client.HTTPException, OSError) as err:
                raise InputError(target, _connection_problem(err, self.timeout)) from None
            with response:
                return self._save(target, response, dest, started)

    def _save(self, target: str, response, dest: Path, started: float) -> Response:
        expected = response.headers.get("Content-Length")
        if expected and expected.isdecimal() and int(expected) > self.max_bytes:
            raise InputError(
                target,
                over_limit(
                    f"announces a body of {int(expected):,} bytes (Content-Length)",
                    self.max_bytes,
                    "pdf_bytes",
                ),
            )
        digest, size = hashlib.sha256(), 0
        with open(dest, "wb") as out:
            while True:
                try:
                    chunk = response.read(CHUNK)
                except (TimeoutError, http.client.HTTPException, OSError) as err:
                    raise InputError(
                        target, f"{_connection_problem(err, self.timeout)} after {size:,} bytes of the body"
                    ) from None
                if not chunk:
                    break
                size += len(chunk)
                if size > self.max_bytes:
                    raise InputError(
                        target,
                        over_limit(
                            f"body still going after {size - len(chunk):,} bytes", self.max_bytes, "pdf_bytes"
                        ),
                    )
                out.write(chunk)
                digest.update(chunk)
                if time.monotonic() - started > self.max_seconds:
                    raise InputError(
                        target,
                        f"download still running after {self.max_seconds:g} s ({size:,} bytes received)",
                    )
            out.flush()
            os.fsync(out.fileno())
        if expected and expected.isdecimal() and int(expected) != size:
            raise InputError(
                target, f"truncated body: {size:,} of the {int(expected):,} bytes announced (Content-Length)"
            )
        # file:// answers carry no status; the manifest leaves it empty.
        return Response(
            target,
            response.geturl(),
            response.status,
            response.headers.get_content_type(),
            size,
            digest.hexdigest(),
        )


def _peek(err: urllib.error.HTTPError) -> bytes:
    try:
        return err.read(CHUNK) or b""
    except (OSError, http.client.HTTPException):
        return b""


def _connection_problem(err: BaseException, timeout: float) -> str:
    reason = getattr(err, "reason", err)
    if isinstance(reason, TimeoutError) or isinstance(err, TimeoutError):
        return f"timed out (no data for {timeout:g} s)"
    if isinstance(err, http.client.IncompleteRead):
        return "connection closed before the end of the body"
    if isinstance(reason, FileNotFoundError):
        return "no such file"
    return f"connection failed ({reason})"
