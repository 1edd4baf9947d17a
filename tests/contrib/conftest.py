"""Fixtures shared by the integration tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from typing import List

import pytest
from http_server import serve
from http_server import serving_in_child

import ddtrace_integrations


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    """The base URL of a real loopback HTTP server (tests/contrib/http_server.py)."""
    server, url = serve()
    yield url
    server.shutdown()


@pytest.fixture(scope="module")
def echo() -> Iterator[str]:
    """The base URL of the same server in a child process: the HTTP clients' load tests, whose thousands of
    requests must not share this process's CPU and GIL with their server."""
    with serving_in_child() as url:
        yield url


@pytest.fixture(scope="session")
def django_app() -> Iterator[None]:
    """Django patched, then set up, then the djapp URLconf imported (as under ``ddtrace-integrations run``), once
    for every Django test module: views are traced when ``path()`` and ``View.as_view()`` register them, so the
    URLconf, imported once per process, must be imported patched and stay patched."""
    import django

    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(Path(__file__).parent / "django"))  # holds the djapp package
        mp.setenv("DJANGO_SETTINGS_MODULE", "djapp.settings")
        ddtrace_integrations.patch(django=True)
        try:
            django.setup()
            import djapp.urls  # noqa: F401  the views are traced as path() and as_view() register them

            yield
        finally:
            ddtrace_integrations.unpatch(django=True)


# --- Redis servers of the suite's own: one on a unix socket, a 3-node cluster on free ports (redis-server and
# redis-cli, which scripts/services installs), each stopped after the session; the redis tests and the fault-injection
# runs of the redis workload use them ---


def _free_port() -> int:
    """A port below 55536 whose cluster bus port (10000 above) is free too."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port > 55535:
            port = 20000 + port % 30000
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 10000))
            return port
        except OSError:
            continue


def _wait(check, what: str, servers: List[subprocess.Popen], deadline_s: float = 30) -> None:
    import redis  # here, not at the top: the other integrations' tests import no redis

    deadline = time.monotonic() + deadline_s
    while True:
        try:
            if check():
                return
        except (redis.RedisError, OSError):
            pass
        if any(server.poll() is not None for server in servers) or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up")
        time.sleep(0.1)


@contextmanager
def _servers(directory: Path, configs: List[List[str]]) -> Iterator[List[subprocess.Popen]]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server not installed (scripts/services redis installs it)")
    servers = []
    try:
        for n, options in enumerate(configs):
            node = directory / str(n)
            node.mkdir()
            servers.append(
                subprocess.Popen(
                    [binary, "--save", "", "--appendonly", "no", "--dir", str(node), *options],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        yield servers
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()


@pytest.fixture(scope="session")
def redis_socket() -> Iterator[str]:
    """The path of a unix socket a redis-server of this session listens on (no TCP)."""
    import redis

    with tempfile.TemporaryDirectory(prefix="ddi-redis-") as tmp:
        path = os.path.join(tmp, "redis.sock")
        with _servers(Path(tmp), [["--port", "0", "--unixsocket", path]]) as servers:
            _wait(lambda: redis.Redis(unix_socket_path=path).ping(), "the unix-socket redis-server", servers)
            yield path


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[str]:
    """host:port of one node of a 3-node cluster (every slot assigned, no replicas) of this session."""
    import redis

    cli = shutil.which("redis-cli")
    if cli is None:
        pytest.skip("redis-cli not installed (scripts/services redis installs it)")
    ports = [_free_port() for _ in range(3)]
    with tempfile.TemporaryDirectory(prefix="ddi-redis-cluster-") as tmp:
        configs = [
            ["--bind", "127.0.0.1", "--port", str(port), "--cluster-enabled", "yes", "--cluster-config-file", "n.conf"]
            for port in ports
        ]
        with _servers(Path(tmp), configs) as servers:
            for port in ports:
                _wait(lambda port=port: redis.Redis(port=port).ping(), f"cluster node {port}", servers)
            nodes = [f"127.0.0.1:{port}" for port in ports]
            subprocess.run(
                [cli, "--cluster", "create", *nodes, "--cluster-yes"],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=60,
            )

            def ready() -> bool:
                return all(redis.Redis(port=p).cluster("info")["cluster_state"] == "ok" for p in ports)

            _wait(ready, "the cluster", servers)
            yield nodes[0]
