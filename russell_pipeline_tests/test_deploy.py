"""The team deployment: deploy/dagster.yaml on a real PostgreSQL, and the container configs.

PostgreSQL is the server that the `pgserver` package ships (16.x), started here on 127.0.0.1 on
a free port with password authentication, so Dagster connects over TCP as it would in production.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
from datetime import date
from pathlib import Path

import dagster as dg
import psycopg2
import psycopg2.sql
import pytest
import yaml

from russell_pipeline.lake.lake_root import Lake
from russell_pipeline.runner.runs import failure_lines
from russell_pipeline_tests.helpers import REPO, SYSTEM_TMP
from russell_pipeline_tests.lakes import lake_folder, sample_lake

DEPLOY = REPO / "deploy"
PG_BIN = Path(importlib.util.find_spec("pgserver").origin).parent / "pginstall" / "bin"
RANGE = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")
INSTANCE_ENV = (
    "DAGSTER_PG_HOST",
    "DAGSTER_PG_PORT",
    "DAGSTER_PG_USER",
    "DAGSTER_PG_PASSWORD",
    "DAGSTER_PG_DB",
)
INDEX_ASSETS = ("market_data", "quarterly_weights", "index_levels")
# Every connection dagster-postgres opens costs a server process: a small range keeps this quick.
REVIEWS = ["2019-03", "2019-06", "2019-09", "2019-12"]


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _pg(bin_dir: Path, tool: str, *args, user: str | None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(bin_dir / tool), *map(str, args)],
        user=user,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _connect(env: dict, dbname: str):
    """An autocommit connection as the `dagster` role over TCP."""
    conn = psycopg2.connect(
        host=env["DAGSTER_PG_HOST"],
        port=int(env["DAGSTER_PG_PORT"]),
        user=env["DAGSTER_PG_USER"],
        password=env["DAGSTER_PG_PASSWORD"],
        dbname=dbname,
    )
    conn.autocommit = True
    return conn


@pytest.fixture(scope="module")
def postgres_server():
    """A PostgreSQL server on 127.0.0.1 with a password-protected `dagster` role."""
    # PostgreSQL refuses to run as root: as root, the server runs as `nobody` from a folder of its
    # own in the machine's temporary folder (root's home and pytest's temp folders are closed to other users).
    user = "nobody" if os.geteuid() == 0 else None
    base = Path(tempfile.mkdtemp(prefix="russell-pg-", dir=SYSTEM_TMP))
    bin_dir, data, password = PG_BIN, base / "data", os.urandom(12).hex()
    started = None
    try:
        (base / "pw").write_text(password)
        if user:
            # The binaries find their libraries at ../../../pgserver.libs: keep that layout.
            site = PG_BIN.parents[2]
            for part in ("pgserver/pginstall", "pgserver.libs"):
                shutil.copytree(site / part, base / "site" / part, ignore=shutil.ignore_patterns("include"))
            bin_dir = base / "site" / PG_BIN.relative_to(site)
            for path in (base, base / "pw"):
                shutil.chown(path, user)
        init = _pg(
            bin_dir,
            "initdb",
            "-D",
            data,
            "-U",
            "dagster",
            f"--pwfile={base / 'pw'}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--no-sync",
            user=user,
        )
        assert init.returncode == 0, init.stderr
        for _attempt in range(3):  # a free port can be taken between the probe and the server's bind
            port = _free_port()
            options = f"-h 127.0.0.1 -p {port} -k {base} -c fsync=off -c synchronous_commit=off"
            started = _pg(
                bin_dir,
                "pg_ctl",
                "-D",
                data,
                "-l",
                base / "log",
                "-w",
                "-t",
                "30",
                "-o",
                options,
                "start",
                user=user,
            )
            if started.returncode == 0:
                break
        else:
            pytest.fail(f"PostgreSQL did not start: {(base / 'log').read_text()}")
        yield {
            "DAGSTER_PG_HOST": "127.0.0.1",
            "DAGSTER_PG_PORT": str(port),
            "DAGSTER_PG_USER": "dagster",
            "DAGSTER_PG_PASSWORD": password,
        }
    finally:
        if started is not None and started.returncode == 0:
            _pg(bin_dir, "pg_ctl", "-D", data, "-w", "-m", "fast", "stop", user=user)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres(postgres_server, request, monkeypatch):
    """An empty database of its own for each test; the DAGSTER_PG_* variables point at it."""
    env = {**postgres_server, "DAGSTER_PG_DB": request.node.name.lower()[:63]}
    admin = _connect(postgres_server, "postgres")
    try:
        admin.cursor().execute(
            psycopg2.sql.SQL("CREATE DATABASE {}").format(psycopg2.sql.Identifier(env["DAGSTER_PG_DB"]))
        )
    finally:
        admin.close()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def _instance(home: Path, config: Path | dict) -> dg.DagsterInstance:
    """The instance of DAGSTER_HOME=home whose dagster.yaml is `config` (a file, copied as is)."""
    home.mkdir(parents=True, exist_ok=True)
    text = config.read_text() if isinstance(config, Path) else yaml.safe_dump(config)
    (home / "dagster.yaml").write_text(text)
    return dg.DagsterInstance.from_config(str(home))


@pytest.mark.slow
def test_main_job_runs_on_the_postgres_instance_and_reads_back(postgres, tmp_path):
    """`russell-pipeline build`'s two runs (a small synthetic feed) recorded in PostgreSQL."""
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

    from russell_pipeline.definitions import defs

    pools = {defs.resolve_assets_def(name).op.pool for name in INDEX_ASSETS}
    assert pools == {"lake_writer"}
    root = sample_lake(tmp_path / "lake_root").root
    resources = lake_folder(root).resources(synthetic_end=date(2019, 12, 31), synthetic_stocks=100)
    home = tmp_path / "dagster_home"
    results = {}
    with _instance(home, DEPLOY / "dagster.yaml") as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        for job_name, first, last in (
            ("recon_year_job", "2018", "2020"),
            ("index_job", REVIEWS[0], REVIEWS[-1]),
        ):
            result = defs.resolve_job_def(job_name).execute_in_process(
                instance=instance,
                resources=resources,
                tags={RANGE[0]: first, RANGE[1]: last},
                raise_on_error=False,
            )
            assert result.success, failure_lines(result)
            results[job_name] = result.run_id

    # A second instance on the same home: everything below comes back from PostgreSQL.
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert {r.job_name: (r.run_id, r.status) for r in instance.get_runs()} == {
            name: (run_id, dg.DagsterRunStatus.SUCCESS) for name, run_id in results.items()
        }
        # market_data is one unpartitioned table; weights and levels one event per review.
        records = {
            name: instance.fetch_materializations(dg.AssetKey(name), limit=100).records
            for name in INDEX_ASSETS
        }
        assert [r.partition_key for r in records["market_data"]] == [None]
        for name in ("quarterly_weights", "index_levels"):
            assert instance.get_materialized_partitions(dg.AssetKey(name)) == set(REVIEWS)
            assert sorted(r.partition_key for r in records[name]) == REVIEWS
        latest = instance.get_latest_materialization_event(dg.AssetKey("index_levels"))
        assert latest.dagster_event.partition == "2019-12"
        assert latest.asset_materialization.metadata["table_last_date"].value == "2019-12-31"
        rows = {
            r.partition_key: r.asset_materialization.metadata["partition_rows"].value
            for r in records["index_levels"]
        }
        assert rows == dict(Lake(root).tables.read("index_levels").group_by("review").len().iter_rows())
        assert sum(rows.values()) == 202  # NYSE sessions 2019-03-15 (the March review) to 2019-12-31
        assert latest.asset_materialization.metadata["dagster/row_count"].value == 202  # the whole table
        # The pool took its limit from `concurrency.pools.default_limit`, and the run freed its slots.
        limits = {p.name: (p.limit, p.from_default) for p in instance.event_log_storage.get_pool_limits()}
        assert limits == {"lake_writer": (1, True)}
        assert instance.event_log_storage.get_concurrency_info("lake_writer").active_slot_count == 0

    conn = _connect(postgres, postgres["DAGSTER_PG_DB"])
    try:
        cursor = conn.cursor()
        cursor.execute(
            "SELECT count(*) FROM event_logs WHERE dagster_event_type = %s AND run_id = %s",
            ("ASSET_MATERIALIZATION", results["index_job"]),
        )
        assert cursor.fetchone()[0] == 1 + 2 * len(REVIEWS)
    finally:
        conn.close()


@pytest.mark.slow
def test_production_instance_settings_as_dagster_reads_them(postgres, tmp_path):
    with _instance(tmp_path / "home", DEPLOY / "dagster.yaml") as instance:
        assert isinstance(instance.run_coordinator, dg.QueuedRunCoordinator)
        queue = instance.get_concurrency_config().run_queue_config
        assert queue.max_concurrent_runs == 4
        assert [(t["key"], t.get("value"), t["limit"]) for t in queue.tag_concurrency_limits] == [
            ("dagster/backfill", None, 1),
            ("dagster/schedule_name", "nightly_market", 1),
        ]
        pools = instance.get_concurrency_config().pool_config
        assert (pools.default_pool_limit, pools.pool_granularity.value) == (1, "op")
        assert instance.run_monitoring_enabled
        assert (
            instance.run_monitoring_start_timeout_seconds,
            instance.run_monitoring_max_runtime_seconds,
            instance.run_monitoring_max_resume_run_attempts,
        ) == (180, 14400, 0)
        assert (
            instance.run_retries_enabled,
            instance.run_retries_max_retries,
            instance.run_retries_retry_on_asset_or_op_failure,
        ) == (True, 1, False)
        assert instance.get_settings("retention") == {
            "schedule": {"purge_after_days": 90},
            "sensor": {"purge_after_days": {"skipped": 7, "failure": 30, "success": -1, "started": -1}},
        }
        assert not instance.telemetry_enabled


def _within(small, big) -> bool:
    """Every key of `small` is in `big` with the same value (mappings compared key by key)."""
    if isinstance(small, dict):
        return isinstance(big, dict) and all(k in big and _within(v, big[k]) for k, v in small.items())
    return small == big


def test_production_instance_keeps_every_laptop_setting():
    """The team instance adds storage, queue limits, timeouts and retries to the project's
    settings (russell_pipeline/dagster.yaml, used by `make run` and `make ui`), and changes none."""
    laptop, production = _yaml(REPO / "russell_pipeline" / "dagster.yaml"), _yaml(DEPLOY / "dagster.yaml")
    assert _within(laptop, production)
    assert not _within(production, laptop)


@pytest.mark.slow
def test_docker_instance_is_the_production_one_plus_a_docker_run_launcher(postgres, tmp_path):
    from dagster_docker import DockerRunLauncher  # imported here: every xdist worker collects this module

    docker, production = _yaml(DEPLOY / "docker" / "dagster.yaml"), _yaml(DEPLOY / "dagster.yaml")
    launcher = docker.pop("run_launcher")
    assert docker == production
    with _instance(tmp_path / "home", {**production, "run_launcher": launcher}) as instance:
        assert isinstance(instance.run_launcher, DockerRunLauncher)
        assert instance.run_launcher.networks == ["russell_pipeline"]
        passed = instance.run_launcher.env_vars
    compose = _yaml(DEPLOY / "docker" / "docker-compose.yaml")
    daemon_env = compose["services"]["daemon"]["environment"]
    # The launcher reads each variable from the daemon's environment and fails a run on a missing one.
    assert set(passed) == set(INSTANCE_ENV) | {
        "RUSSELL_DATA_LAKE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_DEFAULT_REGION",
    }
    assert set(passed) <= set(daemon_env)
    assert (
        set(compose["networks"]) == {"russell_pipeline"} == {compose["networks"]["russell_pipeline"]["name"]}
    )


def _dagster(*args: str, home: Path | None = None) -> subprocess.CompletedProcess:
    """The `dagster` command (on this interpreter), over DAGSTER_HOME=home when given."""
    env = os.environ | ({"DAGSTER_HOME": str(home)} if home else {})
    return subprocess.run(
        [sys.executable, "-m", "dagster", *args],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _grpc_args(args: list[str]) -> dict:
    """`dagster api grpc` options ({name: value}, `--module-name` as `module_name`), each one an option
    of that command (its --help lists it)."""
    flags = dict(zip(args[::2], args[1::2], strict=True))
    usage = _dagster("api", "grpc", "--help").stdout
    assert all(re.search(rf"^\s+(-\w, )?{flag}\b", usage, re.MULTILINE) for flag in flags), (flags, usage)
    return {flag.removeprefix("--").replace("-", "_"): value for flag, value in flags.items()}


def _valid_instance(home: Path, config: dict) -> None:
    """`config` as a dagster.yaml that `dagster instance info` loads: Dagster's own validation of every
    key and value, the run launcher's included."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    info = _dagster("instance", "info", home=home)
    assert info.returncode == 0, info.stderr[-3000:]


def _dockerfile_cmd() -> list[str]:
    text = (REPO / "Dockerfile").read_text()
    return yaml.safe_load(
        re.search(r"^CMD (\[.*?\])$", text, re.MULTILINE | re.DOTALL).group(1).replace("\\\n", "")
    )


def test_dockerfile_installs_the_lock_and_serves_the_code_location_on_4000():
    text = (REPO / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", text, re.MULTILINE)
    uv = re.search(r"^ARG UV_VERSION=(\S+)$", text, re.MULTILINE).group(1)
    assert uv == re.search(r"^UV_VERSION := (\S+)$", (REPO / "Makefile").read_text(), re.MULTILINE).group(1)
    assert (
        "COPY requirements.lock requirements-test.lock /tmp/src/\n"
        "RUN uv pip install --system --compile-bytecode -r /tmp/src/requirements.lock "
        "-r /tmp/src/requirements-test.lock"
    ) in text
    assert "uv pip install --system --compile-bytecode --no-deps /tmp/src" in text
    assert re.search(r"^EXPOSE 4000$", text, re.MULTILINE)
    cmd = _dockerfile_cmd()
    assert cmd[:3] == ["dagster", "api", "grpc"]
    params = _grpc_args(cmd[3:])
    dagster_table = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["dagster"]
    assert (params["host"], params["port"], params["module_name"], params["location_name"]) == (
        "0.0.0.0",
        "4000",
        dagster_table["module_name"],
        dagster_table["code_location_name"],
    )
    ignored = [line for line in (REPO / ".dockerignore").read_text().splitlines() if not line.startswith("#")]
    assert ignored[0] == "*" and {
        "!requirements.lock",
        "!requirements-test.lock",
        "!pyproject.toml",
        "!russell_pipeline/",
    } <= set(ignored)


LOCATION_QUERY = """{ workspaceOrError { ... on Workspace { locationEntries { name locationOrLoadError {
  ... on RepositoryLocation { repositories { displayMetadata { key value } jobs { name } } }
  ... on PythonError { message } } } } } }"""


@pytest.mark.slow
def test_the_image_command_serves_the_location_the_docker_workspace_names(tmp_path):
    """The Dockerfile's CMD, run here on 127.0.0.1 (a free port for 4000), answers the workspace
    entry the webserver and daemon use, with the image the run launcher will start runs in."""
    port = _free_port()
    args = [{"0.0.0.0": "127.0.0.1", "4000": str(port)}.get(a, a) for a in _dockerfile_cmd()[3:]]
    image = _yaml(DEPLOY / "docker" / "docker-compose.yaml")["services"]["code"]["environment"]
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path),
        "DAGSTER_CURRENT_IMAGE": image["DAGSTER_CURRENT_IMAGE"],
    }
    # The image's working directory holds no source: run from an empty one too.
    server = subprocess.Popen(
        [sys.executable, "-m", "dagster", "api", "grpc", *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while _dagster("api", "grpc-health-check", "--host", "127.0.0.1", "--port", str(port)).returncode:
            assert server.poll() is None and time.monotonic() < deadline, "the code server did not start"
            time.sleep(1)
        # The docker workspace's entry, on this port, read as the webserver reads it (its GraphQL).
        [entry] = _yaml(DEPLOY / "docker" / "workspace.yaml")["load_from"]
        here = {"grpc_server": entry["grpc_server"] | {"host": "127.0.0.1", "port": port}}
        (tmp_path / "workspace.yaml").write_text(yaml.safe_dump({"load_from": [here]}))
        answer = subprocess.run(
            [Path(sys.executable).parent / "dagster-graphql", "-w", "workspace.yaml", "-t", LOCATION_QUERY],
            check=True,
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        [location] = json.loads(answer.stdout)["data"]["workspaceOrError"]["locationEntries"]
        assert location["name"] == entry["grpc_server"]["location_name"]
        [repository] = location["locationOrLoadError"]["repositories"]
        shown = {m["key"]: m["value"] for m in repository["displayMetadata"]}
        assert shown["image"] == image["DAGSTER_CURRENT_IMAGE"]
        assert {"recon_year_job", "index_job"} <= {job["name"] for job in repository["jobs"]}
    finally:
        # Not what is tested: a server asked to stop waits up to its grace period (60 s) for calls
        # still open, which a busy CI machine left it.
        server.kill()
        server.wait(timeout=30)


def test_compose_runs_postgres_code_webserver_daemon_against_one_image():
    compose = _yaml(DEPLOY / "docker" / "docker-compose.yaml")
    services = compose["services"]
    assert set(services) == {"postgres", "code", "webserver", "daemon"}
    code = services["code"]
    assert code["build"] == {"context": "../..", "dockerfile": "Dockerfile"}
    assert (DEPLOY / "docker" / code["build"]["context"] / "Dockerfile").resolve() == REPO / "Dockerfile"
    assert code["environment"]["DAGSTER_CURRENT_IMAGE"] == code["image"]
    for name in ("webserver", "daemon"):
        service = services[name]
        assert service["image"] == code["image"]
        assert "/var/run/docker.sock:/var/run/docker.sock" in service["volumes"]
        mounted = {v.split(":")[0]: v.split(":")[1] for v in service["volumes"]}
        assert mounted["./dagster.yaml"] == "/opt/dagster/home/dagster.yaml"
        assert service["command"][-2:] == ["--workspace", mounted["./workspace.yaml"]]
    for name in ("code", "webserver", "daemon"):
        env = services[name]["environment"]
        assert env["DAGSTER_PG_HOST"] == "postgres" and env["DAGSTER_PG_PORT"] == "5432"
        assert env["RUSSELL_DATA_LAKE"].startswith("${RUSSELL_DATA_LAKE:?")
    assert services["postgres"]["image"] == "postgres:16"
    workspace = _yaml(DEPLOY / "docker" / "workspace.yaml")
    assert workspace == {
        "load_from": [{"grpc_server": {"host": "code", "port": 4000, "location_name": "russell_pipeline"}}]
    }


KUBECONFIG = {
    "apiVersion": "v1",
    "kind": "Config",
    "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:9"}}],
    "users": [{"name": "u", "user": {"token": "unused"}}],
    "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
    "current-context": "c",
}


def _snake(value):
    """Helm camelCase keys as the dagster.yaml keys the chart renders them to."""
    if isinstance(value, dict):
        return {re.sub(r"(?<!^)(?=[A-Z])", "_", k).lower(): _snake(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_snake(v) for v in value]
    return value


def test_helm_values_hold_the_production_instance_and_a_valid_k8s_launcher(tmp_path):
    """The chart's values schema is not in any registry package here: this checks the structure the
    chart expects and, through Dagster's own schemas, the instance and launcher config it renders."""
    values = _yaml(DEPLOY / "k8s" / "values.yaml")
    production = _yaml(DEPLOY / "dagster.yaml")

    [deployment] = values["dagster-user-deployments"]["deployments"]
    assert values["dagster-user-deployments"]["enabled"] is True
    assert set(deployment["image"]) == {"repository", "tag", "pullPolicy"}
    assert deployment["image"]["pullPolicy"] in {"Always", "IfNotPresent", "Never"}
    assert isinstance(deployment["image"]["tag"], str)
    assert deployment["port"] == 4000
    params = _grpc_args([*deployment["dagsterApiGrpcArgs"], "--port", str(deployment["port"])])
    assert params["module_name"] == "russell_pipeline.definitions"
    env = {e["name"]: e["value"] for e in deployment["env"]}
    assert env["RUSSELL_DATA_LAKE"].startswith("s3://") and "AWS_DEFAULT_REGION" in env
    secrets = [s["name"] for s in deployment["envSecrets"]]

    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    k8s = values["runLauncher"]["config"]["k8sRunLauncher"]
    assert [s["name"] for s in k8s["envSecrets"]] == secrets
    rendered = {
        "instance_config_map": "dagster-instance",
        "env_secrets": secrets,
        "run_k8s_config": _snake(k8s["runK8sConfig"]),
    }

    assert values["postgresql"]["enabled"] is False and values["generatePostgresqlPasswordSecret"] is False
    daemon = values["dagsterDaemon"]
    assert (daemon["runCoordinator"]["enabled"], daemon["runCoordinator"]["type"]) == (
        True,
        "QueuedRunCoordinator",
    )
    settings = {
        "concurrency": _snake({k: v for k, v in values["concurrency"].items() if k != "enabled"}),
        "retention": _snake({k: v for k, v in values["retention"].items() if k != "enabled"}),
        "run_monitoring": _snake(daemon["runMonitoring"]),
        "run_retries": _snake(daemon["runRetries"]),
        "telemetry": values["telemetry"],
    }
    # The instance the chart renders, its launcher with the service account the chart makes, read
    # outside a cluster (a kubeconfig naming no reachable one: the launcher connects only to launch).
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(KUBECONFIG))
    outside = {
        "service_account_name": "dagster",
        "load_incluster_config": False,
        "kubeconfig_file": str(kubeconfig),
    }
    launcher = {"module": "dagster_k8s", "class": "K8sRunLauncher", "config": rendered | outside}
    _valid_instance(tmp_path / "home", settings | {"run_launcher": launcher})
    # Same instance as deploy/dagster.yaml; only the start timeout is longer (pods wait for nodes).
    assert settings["run_monitoring"].pop("start_timeout_seconds") == 300
    production["run_monitoring"].pop("start_timeout_seconds")
    assert settings == {k: production[k] for k in settings}
