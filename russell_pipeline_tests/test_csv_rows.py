"""lib/csv_rows.py, the one rule every CSV reader reads by: generated families of files (every field count
on every line, a file cut at every byte, every control character, quotes in every place), each refused
with its line or read exactly as Python's csv module reads it; a file checked a block at a time gives the
same answer as the file read whole."""

from __future__ import annotations

import csv
import io
import random

import pytest

from russell_pipeline.lib import csv_rows
from russell_pipeline.lib.csv_rows import check_file, read_rows
from russell_pipeline.lib.errors import InputError

HEADER = ["Symbol", "Name", "Last Sale", "Market Cap", "Country"]
RECORDS = [
    ["AAA", "Alpha Inc.", "$12.50", "1250000000.00", "United States"],
    ["BRK/B", '"Berkshire, Hathaway ""B"""', "$328.55", "", ""],
    ["CCC", '"Gamma\r\nTwo Lines"', "$1", "100", "Canada"],
    ["ABR^D", "Arbor Realty Trust 6.375% Preferred", "$17.10", "0", "United States"],
]


def _file(records=RECORDS, end="\r\n") -> bytes:
    return end.join(",".join(r) for r in [HEADER, *records]).encode() + end.encode()


def _refused(data: bytes, **kwargs) -> str:
    with pytest.raises(InputError) as err:
        read_rows(data, "u.csv", **kwargs)
    return str(err.value)


def test_a_file_is_read_as_pythons_csv_module_reads_it_with_the_line_each_record_starts_on():
    rows = read_rows(_file(), "u.csv", whole_lines=True)
    expected = list(csv.reader(io.StringIO(_file().decode(), newline="")))
    assert list(rows.header) == expected[0]
    assert [list(r) for r in rows.frame.rows()] == expected[1:]
    assert rows.lines.to_list() == [2, 3, 4, 6]  # the quoted line end of line 4 makes two lines


@pytest.mark.parametrize("at", range(1, len(RECORDS) + 1))
@pytest.mark.parametrize("fields", range(len(HEADER) + 3))
def test_every_field_count_but_the_headers_is_refused_naming_its_line(at, fields):
    records = [list(r) for r in RECORDS]
    records[at - 1] = [f"v{i}" for i in range(fields)]
    lines = read_rows(_file(), "u.csv").lines.to_list()  # where each record starts
    if fields == len(HEADER):
        assert read_rows(_file(records), "u.csv").frame.height == len(RECORDS)
        return
    problem = _refused(_file(records))
    line = lines[at - 1]
    said = "an empty line" if fields == 0 else f"{fields} fields"
    assert problem.startswith(f"u.csv: line {line}: {said}, the header has {len(HEADER)}"), problem


def test_a_file_cut_at_every_byte_is_read_up_to_the_cut_or_refused_naming_the_cut_line():
    data = _file()
    for cut in range(1, len(data)):
        part = data[:cut]
        inside = part.count(b'"') % 2 == 1  # the cut falls inside a quoted field
        if part.endswith(b"\n") and not inside:  # at a line boundary: the lines before it, exactly
            expected = list(csv.reader(io.StringIO(part.decode(), newline="")))[1:]
            assert [list(r) for r in read_rows(part, "u.csv", whole_lines=True).frame.rows()] == expected
            continue
        # Inside a line: refused, naming it (or, inside a quoted field, the line the field opened on).
        line = part[: part.rindex(b'"')].count(b"\n") + 1 if inside else part.count(b"\n") + 1
        assert _refused(part, whole_lines=True).startswith(f"u.csv: line {line}: "), (cut, part[-20:])


def test_without_whole_lines_a_last_line_without_its_line_end_is_read():
    assert read_rows(b"a,b\n1,2", "u.csv").frame.rows() == [("1", "2")]
    assert "line 2: the file ends inside this line" in _refused(b"a,b\n1,2", whole_lines=True)


@pytest.mark.parametrize("code", [*range(9), *range(11, 13), *range(14, 32), 127, *range(0x80, 0xA0)])
def test_every_control_character_but_tab_and_the_line_ends_is_refused_naming_its_line(code):
    data = _file().replace(b"Alpha", f"Al{chr(code)}pha".encode())
    assert _refused(data) == f"u.csv: line 2: the control character U+{code:04X}: text holds none"


def test_a_cr_alone_a_byte_that_is_not_utf8_and_a_tab_in_a_field():
    assert _refused(b"a,b\n1,2\r3\n") == "u.csv: line 2: a CR without its LF (a line ends with LF or CRLF)"
    assert _refused(b"a,b\n1,2\n3,\xe9\n") == "u.csv: line 3: not UTF-8 text (byte 0xe9)"
    assert read_rows(b"\xef\xbb\xbfa,b\n1,x\ty\n", "u.csv").frame.rows() == [("1", "x\ty")]


@pytest.mark.parametrize(
    ("record", "line"),
    [
        ('1,5" screen', 2),  # a quote inside a bare field
        ('1,"x"y', 2),  # text after a closing quote
        ('1,x"', 2),
        ('1,"x', 2),  # a quoted field never closed
        ('1,"x\n2,y', 2),
    ],
)
def test_a_quote_out_of_place_or_never_closed_is_refused_naming_its_line(record, line):
    problem = _refused(f"a,b\n{record}\n".encode())
    opens = (
        f"u.csv: line {line}: a quote",
        f"u.csv: line {line}: a quoted field opened here is never closed",
    )
    assert problem.startswith(opens), problem


def test_a_header_named_twice_an_empty_file_and_a_table_inside_a_file():
    assert _refused(b"a,a\n1,2\n") == "u.csv: line 1: column 'a' named twice in the header"
    assert _refused(b"") == "u.csv: line 1: no header line (an empty file)"
    data = b"Fund X\nAs of,May 5\n\nTicker,Name\nAAA,Alpha\nBBB,Beta\n\nNotes: not rows\n"
    rows = read_rows(data, "h.csv", first_line=4, last_line=6)
    assert (rows.header, rows.frame.rows(), rows.lines.to_list()) == (
        ("Ticker", "Name"),
        [("AAA", "Alpha"), ("BBB", "Beta")],
        [5, 6],
    )


def test_random_files_csv_writes_are_read_exactly(tmp_path):
    rng = random.Random(63)
    pieces = ["a", "Z", "7", " ", '"', ",", "\n", "\r\n", "é", "\t", "", "€"]
    for _ in range(400):
        width = rng.randint(1, 5)
        rows = [[f"h{i}" for i in range(width)]]
        rows += [
            ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 4))) for _ in range(width)]
            for _ in range(rng.randint(1, 6))
        ]
        out = io.StringIO()
        csv.writer(out, lineterminator=rng.choice(["\n", "\r\n"])).writerows(rows)
        data = out.getvalue().encode()
        assert [list(r) for r in read_rows(data, "r.csv").frame.rows()] == rows[1:], data
        (tmp_path / "r.csv").write_bytes(data)
        assert check_file(tmp_path / "r.csv", "r.csv") == len(rows) - 1


def test_a_file_checked_a_block_at_a_time_names_the_same_line_as_read_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_rows, "BLOCK_BYTES", 64)  # blocks far shorter than the file: every seam
    good = _file(RECORDS * 20)
    (tmp_path / "g.csv").write_bytes(good)
    assert check_file(tmp_path / "g.csv", "g.csv", whole_lines=True) == 80
    for bad in (good[:-30], good.replace(b"$1,", b"$1,,", 1) + b"X\n", good[:400] + b"\x00" + good[400:]):
        (tmp_path / "b.csv").write_bytes(bad)
        with pytest.raises(InputError) as err:
            check_file(tmp_path / "b.csv", "u.csv", whole_lines=True)
        assert str(err.value) == _refused(bad, whole_lines=True)
    # A tail checked alone names the whole file's lines.
    (tmp_path / "t.csv").write_bytes(b"a,b\n1,2\n3\n")
    with pytest.raises(InputError, match=r"^t.csv: line 12: 1 fields"):
        check_file(tmp_path / "t.csv", "t.csv", line_offset=9)


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_a_file_edited_by_hand_skips_empty_lines_and_ends_lines_at_a_cr_alone(end):
    data = end.join(["a,b", "1,2", "", "3,4", "5"]).encode() + end.encode()
    rows = read_rows(data[: -len(end) - 1 - len(end)], "c.csv", edited=True)  # without the short line
    assert (rows.frame.rows(), rows.lines.to_list()) == ([("1", "2"), ("3", "4")], [2, 4])
    assert (
        _refused(data, edited=True)
        == "u.csv: line 5: 1 fields, the header has 2 (a line cut short, or a field left out)"
    )
    # Not edited: the empty line refused (or, with CR line ends, the first CR alone).
    assert _refused(data).startswith("u.csv: line 1: a CR" if end == "\r" else "u.csv: line 3: an empty line")
