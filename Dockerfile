# The code location image: the project and its locked dependencies, serving its definitions over
# gRPC on port 4000. The same image runs each launched run (DockerRunLauncher / K8sRunLauncher),
# and the Docker example also runs the webserver and daemon from it. See deploy/README.md.
FROM python:3.11-slim

# The uv release the Makefile uses; it installs the lock in seconds.
ARG UV_VERSION=0.13.9
ENV PYTHONUNBUFFERED=1 \
    UV_NO_CACHE=1 \
    DAGSTER_HOME=/opt/dagster/home

RUN pip install --no-cache-dir "uv==${UV_VERSION}"

# The locks first: their layer is rebuilt only when a lock changes, not on every code change. The
# test lock holds the deploy extra (PostgreSQL storage, the Docker and Kubernetes run launchers).
# Bytecode is compiled at build: the runtime user cannot write it, and every run starts afresh.
COPY requirements.lock requirements-test.lock /tmp/src/
RUN uv pip install --system --compile-bytecode -r /tmp/src/requirements.lock -r /tmp/src/requirements-test.lock

# The package is installed, not run from a source folder (which would shadow the installed copy).
COPY pyproject.toml /tmp/src/
COPY russell_pipeline /tmp/src/russell_pipeline
RUN uv pip install --system --compile-bytecode --no-deps /tmp/src && rm -rf /tmp/src \
    && useradd --create-home --uid 1000 dagster \
    && mkdir -p "$DAGSTER_HOME" && chown dagster "$DAGSTER_HOME"

WORKDIR /opt/dagster/app

USER dagster
EXPOSE 4000
CMD ["dagster", "api", "grpc", "--host", "0.0.0.0", "--port", "4000", \
     "--module-name", "russell_pipeline.definitions", "--location-name", "russell_pipeline"]
