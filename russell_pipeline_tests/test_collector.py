"""Python's collector in a process that asked to freeze survivors (lib/collector.py): each full
collection leaves later ones only what came since, a cycle among frozen objects is freed at exit, and a
forked child collects as usual. Each case runs in a new interpreter, whose collector nothing else set."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=False, timeout=120
    )


def test_a_full_collection_freezes_what_it_leaves_and_the_next_looks_only_at_what_came_since():
    done = _run(
        """
        import gc
        from russell_pipeline.lib import collector

        kept = [[i] for i in range(200_000)]  # long-lived objects, as an import leaves them
        before = len(gc.get_objects())
        collector.freeze_survivors()
        gc.collect()
        print(before, gc.get_freeze_count(), len(gc.get_objects()))
        """
    )
    assert done.returncode == 0, done.stderr
    before, frozen, seen = map(int, done.stdout.split())
    assert before > 200_000 and frozen >= 200_000 and seen < 1_000, done.stdout


def test_a_cycle_among_frozen_objects_waits_for_the_release_at_exit_and_exit_leaks_nothing():
    done = _run(
        """
        import gc, weakref
        import duckdb, polars  # their bindings report at exit any object of theirs never freed
        from russell_pipeline.lib import collector

        class Node: pass
        a, b = Node(), Node()
        a.other, b.other = b, a
        alive = weakref.ref(a)
        connection = duckdb.connect()
        frame = polars.DataFrame({"x": [1]})
        collector.freeze_survivors()
        gc.collect()
        del a, b
        gc.collect()
        print("kept" if alive() is not None else "freed")
        collector.release()
        gc.collect()
        print("kept" if alive() is not None else "freed")
        collector.freeze_survivors()
        gc.collect()  # frozen again: the exit hands them back
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["kept", "freed"]
    assert done.stderr == ""  # without the release at exit: "nanobind: leaked 28 instances!" and more


def test_a_forked_child_collects_as_usual():
    done = _run(
        """
        import gc, os
        from russell_pipeline.lib import collector

        kept = [[i] for i in range(10_000)]
        collector.freeze_survivors()
        gc.collect()
        inherited = gc.get_freeze_count()
        pid = os.fork()
        if pid == 0:
            more = [[i] for i in range(10_000)]
            gc.collect()
            os._exit(0 if gc.get_freeze_count() == inherited else 1)
        _, status = os.waitpid(pid, 0)
        more = [[i] for i in range(10_000)]
        gc.collect()
        print(os.waitstatus_to_exitcode(status), gc.get_freeze_count() > inherited)
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "True"]
