"""Untrusted files under raw/<year>/: which ones are documents, and reading one within its limits.

Anyone who can drop a file into raw/ decides what the pipeline reads, so nothing is taken on
trust: the size is checked before reading and no more than the limit is ever read, symbolic
links and paths that resolve outside raw/ are refused, and every name in a year folder is read,
refused or skipped-and-reported; none is ignored silently.
"""

from __future__ import annotations

import errno
import fnmatch
import hashlib
import os
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from russell_pipeline.lib.documents.limits import Limits, over_limit
from russell_pipeline.lib.documents.pdftext import PREFIX_BYTES, sniff
from russell_pipeline.lib.errors import InputError

# Files that operating systems, editors and browsers leave beside documents. They are skipped
# (and reported); any other hidden file is refused, since a leading dot is also the easiest
# way to keep a list out of sight.
JUNK = (
    (".DS_Store", "macOS folder settings"),
    ("._*", "macOS resource fork"),
    ("Thumbs.db", "Windows thumbnail cache"),
    ("desktop.ini", "Windows folder settings"),
    ("~$*", "Office lock file"),
    (".~lock.*#", "LibreOffice lock file"),
    (".*.sw?", "vim swap file"),
    ("*~", "editor backup"),
    (".#*", "Emacs lock file"),
    ("*.part", "unfinished download"),
    (".fetch-*", "unfinished `russell-pipeline fetch` download"),
    ("*.crdownload", "unfinished download"),
    ("*.tmp", "unfinished download or temporary file"),
)


# The user's corrections of lines the parser could not read (corrections.py): an input, not a document.
CORRECTIONS = "corrections.csv"


@dataclass(frozen=True)
class YearFolder:
    documents: list[Path]  # to be read, in name order
    skipped: list[str]  # one line each: `<path>: skipped (<why>)`
    corrections: Path | None = None  # raw/<year>/corrections.csv, when there is one


def junk_reason(name: str) -> str | None:
    """Why a file name is left unread, or None for a document."""
    return next((why for pattern, why in JUNK if fnmatch.fnmatchcase(name, pattern)), None)


def list_year(raw: Path, year: int) -> YearFolder:
    """The documents of raw/<year>/; a hidden file that is not known junk raises InputError."""
    folder = raw / str(year)
    if not folder.is_dir():
        if os.path.lexists(folder):  # a link that leads to no folder (to itself, to nothing), or a file
            raise InputError(
                folder, f"{_not_a_folder(folder)}: a year's documents go in a folder raw/<year>/"
            )
        return YearFolder([], [])
    documents, skipped, corrections = [], [], None
    for path in sorted(folder.iterdir()):
        hidden = [ch for ch in path.name if unicodedata.category(ch) in ("Cc", "Cf")]
        if hidden:  # a newline, a right-to-left override (U+202E): the name would not read as it is stored
            shown = path.name.encode("unicode_escape").decode("ascii")
            raise InputError(
                folder / shown,
                f"file name holds a control or bidi character "
                f"({', '.join(f'U+{ord(ch):04X}' for ch in hidden)}): rename it",
            )
        why = junk_reason(path.name)
        if path.name == CORRECTIONS:
            corrections = path
        elif why is not None:
            skipped.append(f"{path}: skipped ({why})")
        elif path.name.startswith("."):
            raise InputError(
                path, "hidden file: rename it without the leading dot to have it read, or remove it"
            )
        else:
            documents.append(path)
    return YearFolder(documents, skipped, corrections)


def same_bytes_elsewhere(raw: Path, year: int, sizes: dict[str, int]) -> list[tuple[Path, str]]:
    """(path, sha256) of every file under another year's folder of `raw` holding the same bytes as one
    of `sizes` ({sha256: size} of this year's documents); only files of one of those sizes are hashed."""
    wanted = set(sizes.values())
    if not wanted or not raw.is_dir():  # no document this year, or a new lake with none at all
        return []
    out = []
    for folder in sorted(
        p for p in raw.iterdir() if p.is_dir() and not p.is_symlink() and p.name.isdecimal()
    ):
        if folder.name == str(year):
            continue
        for path in sorted(folder.iterdir()):
            if (
                junk_reason(path.name) is not None
                or path.name == CORRECTIONS
                or path.is_symlink()
                or not path.is_file()
                or path.stat().st_size not in wanted
            ):
                continue
            sha = file_sha256(path)
            if sha in sizes:
                out.append((path, sha))
    return out


def file_sha256(path: str | Path) -> str:
    """The sha256 of a file, read in 1 MB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_limited(path: str | Path, limits: Limits, root: Path | None = None) -> bytes:
    """The bytes of one document; an InputError when it is not a regular file or is over a limit.

    With `root` (raw/), the file must also be a regular file inside it: a symbolic link, or a path
    that resolves elsewhere (through a linked folder or `..`), is refused.
    """
    fd = _open_regular(path, root, "documents go directly in raw/<year>/", "the document itself")
    try:
        info = os.fstat(fd)
        head = _read_up_to(fd, PREFIX_BYTES)
        if sniff(path, head) == "pdf":
            what, limit, name = "PDF", limits.pdf_bytes, "pdf_bytes"
        else:
            what, limit, name = "text document", limits.text_chars, "text_chars"
        if info.st_size > limit:
            raise InputError(path, over_limit(f"{what} has {info.st_size:,} bytes", limit, name))
        data = head + _read_up_to(fd, limit + 1 - len(head))
        if len(data) > limit:  # it grew after fstat
            raise InputError(path, over_limit(f"{what} has more than {limit:,} bytes", limit, name))
    finally:
        os.close(fd)
    return data


def read_small(path: str | Path, limit: int, what: str, root: Path | None = None) -> bytes:
    """The bytes of a small input file under raw/ (`what`: a file of corrections) under the same rules as
    a document: a regular file (never a link with `root`, nor a path resolving outside it; a pipe or a
    device refused without blocking), its size refused from `fstat` before a byte is read, and never more
    than `limit` + 1 bytes read (a file growing while it is read is refused too)."""
    fd = _open_regular(path, root, f"{what} is a file in raw/<year>/", "the file itself")
    try:
        size = os.fstat(fd).st_size
        if size > limit:
            raise InputError(path, f"{size:,} bytes, over the {limit:,} of {what}")
        data = _read_up_to(fd, limit + 1)
        if len(data) > limit:
            raise InputError(path, f"more than {limit:,} bytes, over the {limit:,} of {what}")
    finally:
        os.close(fd)
    return data


def _open_regular(path: str | Path, root: Path | None, folder_hint: str, link_hint: str) -> int:
    """A descriptor of a regular file, opened without following a link under `root` and without
    blocking on a pipe; an InputError naming the path otherwise."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC  # O_NONBLOCK: opening a FIFO must not hang
    if root is not None:
        if os.path.islink(path):
            raise _symlink(path, link_hint)
        real = Path(os.path.realpath(path))
        if not real.is_relative_to(os.path.realpath(root)):
            raise InputError(path, f"resolves to {real}, outside {root}")
        flags |= os.O_NOFOLLOW  # in case a link replaces the file after the check
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP and root is not None:
            raise _symlink(path, link_hint) from None
        raise InputError(path, f"cannot read file ({exc.strerror or exc})") from None
    mode = os.fstat(fd).st_mode
    if stat.S_ISREG(mode):
        return fd
    os.close(fd)
    if stat.S_ISDIR(mode):
        raise InputError(path, f"is a folder; {folder_hint}")
    raise InputError(path, "is not a regular file (a device, pipe or socket)")


def _read_up_to(fd: int, n: int) -> bytes:
    chunks, size = [], 0
    while size < n:
        chunk = os.read(fd, min(n - size, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _symlink(path: str | Path, what: str = "the document itself") -> InputError:
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    return InputError(path, f"is a symbolic link to {target}; put {what} in raw/<year>/")


def _not_a_folder(path: Path) -> str:
    """What a year's entry under raw/ that is no folder is: a link leading nowhere, or a file."""
    if not path.is_symlink():
        return "is a file, not a folder"
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    return f"is a symbolic link to {target}, which leads to no folder (to itself, or to nothing)"
