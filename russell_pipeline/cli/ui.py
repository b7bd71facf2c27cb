"""`make ui`: the Dagster UI (`dg dev`, what Dagster 1.13 runs in place of the superseded `dagster dev`)
on this project's instance, stopped with its children by Ctrl-C, SIGTERM or SIGHUP, and when the
process that started it (make) dies.

Dagster's dev command maps SIGTERM to whatever SIGINT does; a process started in the background or by
a service manager may inherit SIGINT ignored, and then SIGTERM was ignored too, and the webserver,
daemon and code server outlived a stop. Here both raise KeyboardInterrupt, which `dg dev` answers by
shutting its children down."""

from __future__ import annotations

import argparse
import ctypes
import signal
import sys

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def stop_on_signals() -> None:
    """SIGINT, SIGTERM and SIGHUP end the UI as Ctrl-C does; so does the death of the parent (Linux)."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.default_int_handler)
    if sys.platform.startswith("linux"):
        try:  # make forwards no signal it is not sent; its death is one
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        except (OSError, AttributeError):
            pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make ui", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="3000")
    parser.add_argument("--workspace", default="workspace.yaml")
    args = parser.parse_args(argv)
    stop_on_signals()
    from dagster_dg_cli.cli import cli as dg

    from russell_pipeline.lake.lake_root import Lake
    from russell_pipeline.runner.runs import instance_for
    from russell_pipeline.settings import Settings

    # The instance opened the way `build` opens it first: a new home gets the project's dagster.yaml
    # (the lake_writer pool), and its tables are made by one process at a time.
    instance_for(Lake.from_settings(Settings.from_env()))
    try:
        dg.main(["dev", "-w", args.workspace, "-h", args.host, "-p", str(args.port)], prog_name="dg")
    except KeyboardInterrupt:  # a signal before `dg dev` took it over: nothing of the UI runs yet
        return 130
    except SystemExit as done:
        return int(done.code or 0) if not isinstance(done.code, str) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
