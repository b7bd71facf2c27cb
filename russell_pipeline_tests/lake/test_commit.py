"""The one write path (defs/commit.py; its table write, lake/staged.py), unit by unit: a check declared
once, the one-line reason of a failed one, the step that fails without a failed run reading as
failed data, the commit that blocks,
writes, records lineage and the checksum of every file it wrote, then materializes each partition with
its own facts. Dagster's step context is stood in for by the little it is asked; a check's history is
that of real runs on a real instance."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import dagster as dg
import polars as pl
import pytest

from russell_pipeline.defs.commit import (
    Check,
    Refusal,
    Write,
    _not_evaluated,
    _on_partitions,
    _rows_per_partition,
    commit,
    refuse,
    reports_failure,
    specs,
    why,
)
from russell_pipeline.lake import checksums
from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.lake.lineage import LINEAGE, WRITTEN
from russell_pipeline.lake.staged import Staged, write_and_publish, write_staged
from russell_pipeline.lib.errors import InputError

BLOCK = Check("t", "no_nulls", "No null names.", "block")
ERROR = Check("t", "positive", "Values are positive.")
WARN = Check("t", "recent", "Recent enough.", "warn")


def test_a_check_declares_its_spec_and_result_by_its_level():
    assert [(c.blocking, c.spec().blocking, c.spec().description) for c in (BLOCK, ERROR, WARN)] == [
        (True, True, "No null names. Blocks the write."),
        (False, False, "Values are positive."),
        (False, False, "Recent enough. (WARN)"),
    ]
    assert [s.name for s in specs([BLOCK, WARN])] == ["no_nulls", "recent"]
    assert BLOCK.spec().asset_key == dg.AssetKey("t")
    results = [c.result(False, n=1) for c in (BLOCK, ERROR, WARN)]
    assert [r.severity for r in results] == [
        dg.AssetCheckSeverity.ERROR,
        dg.AssetCheckSeverity.ERROR,
        dg.AssetCheckSeverity.WARN,
    ]
    assert [(r.asset_key, r.check_name, r.passed, r.metadata["n"].value) for r in results[:1]] == [
        (dg.AssetKey("t"), "no_nulls", False, 1)
    ]


def test_a_frame_check_passes_on_no_rows_and_shows_the_first_ones_and_their_partitions():
    ok = ERROR.frame(
        pl.DataFrame({"review": [], "v": []}, schema={"review": pl.String, "v": pl.Int64}), "bad"
    )
    assert ok.passed and ok.metadata["failures"].value == 0 and ok.metadata["examples"].value == "no bad"
    assert "first" not in ok.metadata and "partitions" not in ok.metadata
    bad = pl.DataFrame({"review": ["2024-06", "2024-03", "2024-06"], "v": [-1, -2, -3]})
    got = ERROR.frame(bad, "negative values", source="x")
    assert not got.passed and got.metadata["failures"].value == 3
    assert got.metadata["first"].value == "negative values: review=2024-06, v=-1"
    assert got.metadata["partitions"].value == "2024-03, 2024-06"
    assert got.metadata["source"].value == "x"
    assert "2024-03" in got.metadata["examples"].value and got.metadata["examples"].value.startswith("```\n")
    years = ERROR.frame(pl.DataFrame({"recon_year": [2023, 2021], "v": [1, 2]}), "rows")
    assert years.metadata["partitions"].value == "2021, 2023"
    assert "partitions" not in ERROR.frame(pl.DataFrame({"v": [1]}), "rows").metadata


@pytest.mark.parametrize(
    ("metadata", "line"),
    [
        ({"first": "rows: a=1", "failures": 3}, "t.c (rows: a=1)"),
        ({"failures": 3, "examples": "```\nx\n```"}, "t.c (3 failure(s))"),
        ({"sum": 1.5, "what": "text", "table": "a\nb", "listed": [1]}, "t.c (sum=1.5, what=text)"),
        ({}, "t.c (failed)"),
        ({"first": dg.MetadataValue.text("rows: b=2")}, "t.c (rows: b=2)"),
    ],
    ids=["first", "failures", "plain", "nothing", "metadata-value"],
)
def test_a_failed_check_is_one_line(metadata, line):
    assert why("t.c", metadata) == line


def test_refuse_fails_the_step_on_its_input_for_good():
    with pytest.raises(Refusal) as refused:
        refuse("raw/2024/a.pdf: encrypted", {"2024": {"state": "refused"}})
    assert refused.value.description == "raw/2024/a.pdf: encrypted"
    assert refused.value.facts == {"2024": {"state": "refused"}}
    assert refused.value.allow_retries is False
    assert Refusal("why").facts == {}


@dataclass
class _Context:
    """What commit and reports_failure ask of an AssetExecutionContext."""

    partitioned: bool = True
    partition_keys: list[str] = field(default_factory=lambda: ["2023", "2024"])
    selected_asset_keys: set = field(default_factory=lambda: {dg.AssetKey("t"), dg.AssetKey("a")})
    selected_asset_check_keys: set = field(default_factory=set)
    instance: object = None
    added: list = field(default_factory=list)
    logged: list = field(default_factory=list)

    @property
    def assets_def(self):
        return SimpleNamespace(
            partitions_def=object() if self.partitioned else None,
            get_output_name_for_asset_check_key=lambda check: (
                f"{check.asset_key.to_user_string()}_{check.name}"
            ),
            get_spec_for_check_key=lambda check: SimpleNamespace(blocking=check.name == "no_nulls"),
        )

    @property
    def log(self):
        return SimpleNamespace(info=self.logged.append)

    def add_asset_metadata(self, metadata, asset_key, partition_key):
        self.added.append((asset_key, partition_key, metadata))


class _Instance:
    """A Dagster instance where no run evaluated a check, holding the latest materialization of
    partition 2024 of each asset (its storage id 7)."""

    def __init__(self):
        self.event_log_storage = self

    def get_latest_storage_id_by_partition(self, asset, event_type, partitions):
        assert event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
        return {"2024": 7} if "2024" in partitions else {}

    def fetch_materializations(self, records_filter, limit):
        if records_filter.storage_ids is None:  # a check's history: none
            return SimpleNamespace(records=[])
        assert (records_filter.storage_ids, limit) == ([7], 1)
        return SimpleNamespace(
            records=[SimpleNamespace(partition_key="2024", storage_id=7, run_id="r", timestamp=1.0)]
        )


CHECK = dg.AssetCheckKey(dg.AssetKey("t"), "positive")
YEARS = dg.StaticPartitionsDefinition(["2024", "2025", "2026"])


def _run(instance: dg.DagsterInstance, partition: str, passed: bool, fail: str = "", **facts) -> str:
    """A real run of asset `t` on `partition`: its check `positive` evaluated (`passed`, a warning,
    `facts`) and the partition materialized, the step failing `before` or `after` materializing."""

    @dg.asset(
        name="t",
        partitions_def=YEARS,
        check_specs=[dg.AssetCheckSpec("positive", asset="t", partitions_def=YEARS)],
    )
    def t():
        yield dg.AssetCheckResult(
            check_name="positive", passed=passed, severity=dg.AssetCheckSeverity.WARN, metadata=facts
        )
        if fail == "before":
            raise RuntimeError("disk full")
        yield dg.MaterializeResult()
        if fail == "after":
            raise RuntimeError("disk full")

    result = dg.materialize([t], instance=instance, partition_key=partition, raise_on_error=False)
    assert result.success == (not fail)
    return result.run_id


def test_a_check_not_evaluated_restates_the_latest_result_of_a_run_that_succeeded(tmp_path):
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        wrote = _run(instance, "2024", passed=False, n=3)
        _run(instance, "2024", passed=True, fail="before")  # newer, but its rows were never written
        other = _run(instance, "2025", passed=True)
        _run(instance, "2025", passed=False, fail="after")  # materialized, but its run failed
        got = _not_evaluated(instance, CHECK, "disk full", "2024")
        said = (
            "not evaluated: its run failed (disk full); the result on the rows the lake holds, of run "
            f"{wrote}, stands"
        )
        assert (got.passed, got.severity, got.description) == (False, dg.AssetCheckSeverity.WARN, said)
        assert got.metadata["n"].value == 3 and got.metadata["status"].value == said
        elsewhere = _not_evaluated(instance, CHECK, "disk full", "2025")  # each partition its own history
        assert elsewhere.passed and elsewhere.description.endswith(f"of run {other}, stands")
        never = _not_evaluated(instance, CHECK, "disk full", "2026")
        assert never.passed and never.description.endswith("no run that wrote its rows evaluated it")


def test_a_check_no_succeeded_run_evaluated_passes_over_nothing(tmp_path):
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        _run(instance, "2024", passed=False, fail="before", n=3)
        got = _not_evaluated(instance, CHECK, "disk full", "2024")
    assert got.passed and got.severity == dg.AssetCheckSeverity.ERROR
    assert (
        got.description
        == "not evaluated: its run failed (disk full); no run that wrote its rows evaluated it"
    )
    assert dict(got.metadata) == {"status": dg.MetadataValue.text(got.description)}


def test_a_failing_step_says_so_on_every_partition_and_check_and_raises_the_same_error():
    other = dg.AssetCheckKey(dg.AssetKey("a"), "recent")
    context = _Context(selected_asset_check_keys={CHECK, other}, instance=_Instance())

    @reports_failure
    def step(context):
        yield dg.AssetCheckResult(asset_key="t", check_name="positive", passed=True)
        refuse("raw/2024/a.pdf:   encrypted\n  PDF", {"2024": {"state": "refused"}})

    events = []
    with pytest.raises(Refusal):
        events.extend(step(context))  # what it yields before it raises
    observed = [(e.asset_key.to_user_string(), e.partition, dict(e.metadata)) for e in events[:4]]
    failed = dg.MetadataValue.text("failed: raw/2024/a.pdf: encrypted PDF")
    assert [(a, p) for a, p, _ in observed] == [("a", "2023"), ("a", "2024"), ("t", "2023"), ("t", "2024")]
    assert observed[0][2] == {"status": failed}
    assert observed[1][2] == {"status": failed, "state": dg.MetadataValue.text("refused")}
    # Each check on each partition of the run: the one reported, then the one the step did not report.
    recorded = [getattr(e, "output_name", None) or e.partition for e in events[4:]]
    assert recorded == ["t_positive", "2023", "2024", "a_recent", "2023", "2024"]  # each check's output first
    reported, not_evaluated = events[5:7], events[8:]
    assert [(e.check_name, e.passed, e.description) for e in reported] == [("positive", True, None)] * 2
    for e in not_evaluated:
        assert (e.asset_key, e.check_name) == (dg.AssetKey("a"), "recent")
        assert e.description.startswith("not evaluated: its run failed (raw/2024/a.pdf: encrypted PDF)")
    # Each on its partition's latest materialization: 2024 has one (storage id 7), 2023 none.
    assert [getattr(e.target_materialization_data, "storage_id", None) for e in not_evaluated] == [None, 7]


def test_a_step_records_its_check_results_after_its_materializations():
    """Recorded after the step's materializations, each evaluation is on its partition's materialization
    of the run (Dagster counts a partition's check result only on its latest materialization)."""

    @reports_failure
    def step(context):
        yield BLOCK.result(True)
        yield dg.MaterializeResult(asset_key="t")

    events = list(step(_Context(instance=_Instance())))
    assert [type(e).__name__ for e in events] == [
        "MaterializeResult",
        "Output",
        *["AssetCheckEvaluation"] * 2,
    ]
    assert [(e.partition, e.passed, e.blocking) for e in events[2:]] == [
        ("2023", True, True),
        ("2024", True, True),
    ]
    flat = _Context(partitioned=False, instance=_Instance())
    result = ERROR.result(True)
    assert (
        list(reports_failure(lambda context: iter([result, dg.MaterializeResult(asset_key="t")]))(flat))[1]
        is result
    )  # an unpartitioned asset's result as it is, after its materialization


def test_a_check_of_a_run_fails_on_the_partitions_its_offending_rows_are_in():
    keys = ["2019-03", "2019-06", "2019-09"]
    bad = ERROR.frame(pl.DataFrame({"review": ["2019-06", "2018-12"], "v": [-1, -2]}), "negative values")
    on = _on_partitions(bad, keys)
    assert {k: r.passed for k, r in on.items()} == {"2019-03": True, "2019-06": False, "2019-09": True}
    assert on["2019-06"] is bad  # the failure with all its facts
    assert on["2019-03"].description == "passed: its offending rows are in 2018-12, 2019-06, none in 2019-03"
    assert on["2019-03"].metadata == bad.metadata
    # Rows that name none of the run's partitions (or none at all): failed on every one.
    for elsewhere in (
        ERROR.frame(pl.DataFrame({"review": ["2018-12"], "v": [1]}), "rows"),
        ERROR.result(False, failures=1),
    ):
        assert all(r is elsewhere for r in _on_partitions(elsewhere, keys).values())
    ok = ERROR.result(True)
    assert _on_partitions(ok, keys) == dict.fromkeys(keys, ok) and _on_partitions(ok, [None]) == {None: ok}


def test_an_unpartitioned_step_that_crashes_says_so_once_per_asset():
    context = _Context(partitioned=False, selected_asset_keys={dg.AssetKey("t")}, instance=_Instance())

    @reports_failure
    def step(context, rows):
        yield from ()
        raise InputError("m.csv", f"{rows} bad rows")

    events = []
    with pytest.raises(InputError):
        events.extend(step(context, rows=2))
    (observation,) = events
    assert (
        observation.partition is None and observation.metadata["status"].value == "failed: m.csv: 2 bad rows"
    )


def test_a_step_that_succeeds_passes_its_events_through():
    @reports_failure
    def step(context):
        yield dg.MaterializeResult(asset_key="t")

    assert step.__name__ == "step"
    assert [type(e) for e in step(_Context())] == [dg.MaterializeResult]


def _staged(root) -> tuple[Lake, list[Staged]]:
    lake = Lake(root)
    rows = pl.DataFrame({"recon_year": [2023, 2023, 2024], "v": [1, 2, 3]})
    flat = pl.DataFrame({"k": ["x"]})
    return lake, [Staged("t", rows, "recon_year", [2023, 2024, 2025]), Staged("u", flat.lazy())]


def test_a_blocking_check_that_fails_writes_nothing_and_names_each_failure(tmp_path):
    lake, staged = _staged(tmp_path)
    results = [
        BLOCK.frame(pl.DataFrame({"review": ["2024-06"], "name": [None]}), "null names"),
        ERROR.result(False),
        Check("t", "other", "x", "block").result(True),
    ]
    events = []
    with pytest.raises(Refusal) as refused:
        events.extend(
            commit(
                _Context(),
                Write(
                    lake=lake,
                    checks=[BLOCK, ERROR],
                    results=results,
                    staged=staged,
                    lineage={"t": {"2024": "d"}},
                    facts={},
                ),
            )
        )
    assert events == results  # every result is reported before the step stops
    assert refused.value.description == (
        "blocking check failed, nothing written (the stored partitions stay): "
        "t.no_nulls (null names: review=2024-06, name=None)"
    )
    assert lake.tables.names() == []


def test_a_commit_writes_records_and_materializes_every_partition_with_its_facts(tmp_path):
    lake, staged = _staged(tmp_path)
    context = _Context()
    facts = {
        "t": {"2023": {"rows": 2}, "2024": {"rows": 1}, "2025": {"status": "no documents under raw/2025/"}}
    }
    results = [ERROR.result(False)]  # an error-level failure is reported and written
    events = list(
        commit(
            context,
            Write(
                lake=lake,
                checks=[BLOCK, ERROR],
                results=results,
                staged=staged,
                lineage={"t": {"2023": "d3", "2024": "d4", "2025": "d5"}},
                facts=facts,
                data_version="v1",
                descriptions={"t": {"2024": "# a chart"}},
            ),
        )
    )
    assert events[0] is results[0]
    materialized, described = events[1:]
    assert materialized.asset_key == dg.AssetKey("t") and materialized.data_version == dg.DataVersion("v1")
    assert (described.asset_key, described.partition, described.description) == (
        dg.AssetKey("t"),
        "2024",
        "# a chart",
    )
    assert context.added == [
        ("t", "2023", {"rows": 2}),
        ("t", "2024", {"rows": 1}),
        ("t", "2025", {"status": "0 rows: no documents under raw/2025/"}),
    ]
    assert context.logged == ["t 2025: 0 rows: no documents under raw/2025/"]
    assert lake.tables.read("t").sort("v").rows() == [(2023, 1), (2023, 2), (2024, 3)]
    assert lake.lineage.digests("t") == {"2023": "d3", "2024": "d4", "2025": "d5"}
    assert not lake.lineage.changed_outside("t")
    damage, unrecorded, count = checksums.check(lake, every_byte=True)
    assert (damage, unrecorded) == ([], [])  # every file the commit wrote has its checksum
    assert count == sum(len(checksums.data_files(lake.tables.delta(t))) for t in ("t", "u", LINEAGE, WRITTEN))


def test_an_empty_partition_without_a_reason_says_no_rows_and_an_unpartitioned_asset_gets_its_facts(tmp_path):
    lake, staged = _staged(tmp_path)
    context = _Context()
    list(commit(context, Write(lake=lake, staged=staged, lineage={}, facts={"t": {"2025": {}}})))
    assert context.added == [("t", "2025", {"status": "0 rows: no rows"})]
    flat = _Context(partitioned=False)
    (done,) = commit(
        flat,
        Write(lake=lake, staged=[Staged("u", pl.DataFrame({"k": ["y"]}))], lineage={}, facts={"u": {"n": 1}}),
    )
    assert done.asset_key == dg.AssetKey("u") and done.metadata == {"n": 1} and done.data_version is None
    assert flat.added == [] and flat.logged == []


def test_a_write_without_lineage_records_checksums_of_its_tables_only(tmp_path):
    lake, staged = _staged(tmp_path)
    write_staged(lake, staged, {})
    assert lake.tables.names() == sorted(["t", "u", checksums.CHECKSUMS])
    assert set(checksums.recorded(lake)) == {"t", "u"}
    assert checksums.check(lake, every_byte=True)[:2] == ([], [])
    write_staged(
        lake, [Staged("t", pl.DataFrame({"recon_year": [2024], "v": [9]}), "recon_year", [2024])], {}
    )
    assert checksums.check(lake, every_byte=True)[:2] == ([], [])  # the new file too
    assert sorted(lake.tables.read("t")["v"]) == [1, 2, 9]


def test_write_and_publish_makes_the_table_readable_at_once(tmp_path):
    lake = Lake(tmp_path)
    write_and_publish(lake, Staged("prices_file", pl.DataFrame({"symbol": ["A"], "close": [1.5]})))
    assert lake.warehouse.read("SELECT symbol, close FROM prices_file").rows() == [("A", 1.5)]
    assert set(checksums.recorded(lake)) == {"prices_file"}


def test_rows_are_counted_per_staged_partition_with_zero_for_an_empty_one():
    staged = [
        Staged(
            "t", pl.DataFrame({"review": ["2024-03", "2024-03", "2024-06"]}), "review", ["2024-03", "2024-09"]
        ),
        Staged("u", pl.DataFrame({"recon_year": [2023]}).lazy(), "recon_year", [2023, 2024]),
        Staged("flat", pl.DataFrame({"k": [1]})),
        Staged("all", pl.DataFrame({"recon_year": [2023]}), "recon_year"),
    ]
    assert _rows_per_partition(staged) == {"t": {"2024-03": 2, "2024-09": 0}, "u": {"2023": 1, "2024": 0}}


def test_a_partition_staged_without_rows_is_emptied_and_the_partitions_not_staged_stay(tmp_path):
    """A step that found no rows for a partition it rebuilt must clear that partition's old rows, not
    leave them standing as if still built; the partitions it did not stage keep theirs."""
    lake = Lake(tmp_path)
    old = pl.DataFrame({"recon_year": [2022, 2023, 2023], "v": [1, 2, 3]})
    write_staged(lake, [Staged("t", old, "recon_year", [2022, 2023])], {})
    write_staged(
        lake, [Staged("t", pl.DataFrame({"recon_year": [2024], "v": [9]}), "recon_year", [2023, 2024])], {}
    )
    assert lake.tables.read("t").sort("v").rows() == [(2022, 1), (2024, 9)]


def test_a_commit_publishes_nothing_the_build_publishes_its_tables_together(tmp_path):
    """Readers go on seeing the last published warehouse while a build writes: the tables of its
    commits are shown together when the build publishes (`build`, the publish sensor), never one write
    at a time; here, on a new lake, no warehouse is made at all."""
    lake, staged = _staged(tmp_path)
    write_staged(lake, staged, {"t": {"2023": "d3"}})
    assert lake.tables.read("t").height == 3
    assert lake.warehouse.published_versions() == {} and not lake.warehouse.file.exists()


def test_a_write_records_checksums_of_its_own_files_only_and_a_stray_file_stays_unrecorded(tmp_path):
    """A write without lineage vouches for the tables it wrote, not for the lake's lineage tables: a file
    a stray writer put there stays reported as no commit's."""
    lake, staged = _staged(tmp_path)
    write_staged(lake, staged, {"t": {"2023": "d3"}})
    assert checksums.check(lake)[:2] == ([], [])
    with lake.lock.hold():
        lake.tables.write(LINEAGE, lake.tables.read(LINEAGE), "asset", ["t"], publish=False)
    assert checksums.check(lake)[1] == [LINEAGE]
    write_staged(lake, [Staged("prices_file", pl.DataFrame({"symbol": ["A"], "close": [1.5]}))], {})
    assert checksums.check(lake)[1] == [LINEAGE]


def test_a_refusal_names_the_partitions_whose_input_it_refused():
    with pytest.raises(Refusal) as refused:
        refuse("raw/2019/a.pdf: encrypted", partitions=["2019", "2021"])
    assert refused.value.metadata["refused partitions"].value == "2019, 2021"
    assert Refusal("why").metadata == {} and Refusal("why", partitions=[]).metadata == {}


def test_a_frame_check_shows_its_first_rows_whole_however_wide():
    long = "raw/2024/russell-3000-additions-preliminary.pdf"
    bad = pl.DataFrame({f"column_{i}": [long if i == 11 else str(i)] for i in range(12)})
    shown = ERROR.frame(bad, "rows").metadata["examples"].value
    assert all(f"column_{i}" in shown for i in range(12)) and long in shown
    assert "…" not in shown and "shape" not in shown


def test_a_frame_check_shows_ten_rows_at_most_and_cuts_a_value_over_a_thousand_characters():
    shown = ERROR.frame(pl.DataFrame({"v": range(100, 112)}), "rows").metadata["examples"].value
    assert [v for v in range(100, 112) if str(v) in shown] == list(range(100, 110))
    cut = ERROR.frame(pl.DataFrame({"v": ["x" * 1001], "n": [1]}), "rows").metadata["examples"].value
    assert cut.count("x") == 1000 and "…" in cut
    assert max(len(line) for line in cut.splitlines()) == 1000


def test_the_specs_of_a_partitioned_asset_are_partitioned_like_it():
    partitions = dg.StaticPartitionsDefinition(["2023", "2024"])
    assert [s.partitions_def for s in specs([BLOCK, WARN], partitions)] == [partitions, partitions]
    assert [s.partitions_def for s in specs([BLOCK])] == [None]


def test_rows_are_counted_for_every_partitioned_table_whatever_comes_before_it():
    staged = [Staged("flat", pl.DataFrame({"k": [1]})), Staged("t", pl.DataFrame({"v": [2023]}), "v", [2023])]
    assert _rows_per_partition(staged) == {"t": {"2023": 1}}


def test_a_check_fails_on_each_partition_of_the_run_its_offending_rows_are_in():
    keys = ["2019-03", "2019-06", "2019-09"]
    bad = ERROR.frame(pl.DataFrame({"review": ["2019-06", "2019-03"], "v": [-1, -2]}), "negative values")
    on = _on_partitions(bad, keys)
    assert {k: r.passed for k, r in on.items()} == {"2019-03": False, "2019-06": False, "2019-09": True}


def test_a_partitioned_check_result_is_recorded_with_its_facts_and_severity_on_each_materialization():
    instance = dg.DagsterInstance.ephemeral()
    instance.report_runless_asset_event(dg.AssetMaterialization("t", partition="2024"))
    instance.report_runless_asset_event(dg.AssetMaterialization("a", partition="2023"))  # another asset's
    materialized = instance.fetch_materializations(dg.AssetKey("t"), limit=1).records[0]

    @reports_failure
    def step(context):
        yield WARN.frame(pl.DataFrame({"review": ["2024"], "v": [-1]}), "old rows", source="x")

    evaluations = list(step(_Context(instance=instance)))[1:]
    assert [(e.partition, e.passed, e.severity) for e in evaluations] == [
        ("2023", True, dg.AssetCheckSeverity.WARN),
        ("2024", False, dg.AssetCheckSeverity.WARN),
    ]
    for e in evaluations:  # the facts of the failure on each partition, where it passed too
        assert (e.metadata["first"].value, e.metadata["source"].value) == ("old rows: review=2024, v=-1", "x")
    assert [getattr(e.target_materialization_data, "storage_id", None) for e in evaluations] == [
        None,
        materialized.storage_id,
    ]


def test_an_unpartitioned_step_records_each_of_its_checks_and_names_the_ones_it_did_not_evaluate():
    other = dg.AssetCheckKey(dg.AssetKey("t"), "recent")
    context = _Context(
        partitioned=False,
        selected_asset_keys={dg.AssetKey("t")},
        selected_asset_check_keys={CHECK, other},
        instance=_Instance(),
    )

    @reports_failure
    def done(context):
        yield ERROR.result(True)
        yield WARN.result(False)

    assert [(e.check_name, e.passed) for e in done(context)] == [("positive", True), ("recent", False)]

    @reports_failure
    def crashed(context):
        yield from ()
        raise InputError("m.csv", "bad rows")

    events = []
    with pytest.raises(InputError):
        events.extend(crashed(context))
    assert sorted((e.asset_key, e.check_name) for e in events[1:]) == [
        (dg.AssetKey("t"), "positive"),
        (dg.AssetKey("t"), "recent"),
    ]


def test_each_failed_blocking_check_is_named_in_the_refusal(tmp_path):
    lake, staged = _staged(tmp_path)
    other = Check("t", "no_gaps", "No gaps.", "block")
    results = [BLOCK.result(False, failures=2), other.result(False, failures=1)]
    with pytest.raises(Refusal) as refused:
        list(
            commit(
                _Context(),
                Write(lake=lake, checks=[BLOCK, other], results=results, staged=staged, lineage={}, facts={}),
            )
        )
    assert refused.value.description == (
        "blocking check failed, nothing written (the stored partitions stay): "
        "t.no_nulls (2 failure(s)); t.no_gaps (1 failure(s))"
    )


def test_a_commit_logs_every_empty_partition_in_one_entry_and_materializes_an_asset_it_wrote_no_table_of(
    tmp_path,
):
    lake = Lake(tmp_path)
    staged = [Staged("t", pl.DataFrame({"recon_year": [2024], "v": [1]}), "recon_year", [2024, 2025, 2026])]
    context = _Context(partition_keys=["2024", "2025", "2026"])
    facts = {"t": {"2024": {}, "2025": {}, "2026": {"status": "no documents"}}, "a": {"2024": {"n": 1}}}
    events = list(commit(context, Write(lake=lake, staged=staged, lineage={}, facts=facts)))
    assert [e.asset_key for e in events] == [dg.AssetKey("t"), dg.AssetKey("a")]
    assert context.logged == ["t 2025: 0 rows: no rows\nt 2026: 0 rows: no documents"]
    assert context.added[-1] == ("a", "2024", {"n": 1})


def test_an_unpartitioned_commit_materializes_each_asset_with_its_data_version(tmp_path):
    lake = Lake(tmp_path)
    staged = [Staged("u", pl.DataFrame({"k": ["y"]})), Staged("w", pl.DataFrame({"k": ["z"]}))]
    facts = {"u": {"n": 1}, "w": {"n": 2}}
    events = list(
        commit(
            _Context(partitioned=False),
            Write(lake=lake, staged=staged, lineage={}, facts=facts, data_version="v2"),
        )
    )
    assert [(e.asset_key, e.metadata, e.data_version) for e in events] == [
        (dg.AssetKey("u"), {"n": 1}, dg.DataVersion("v2")),
        (dg.AssetKey("w"), {"n": 2}, dg.DataVersion("v2")),
    ]
