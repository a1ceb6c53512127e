"""The documentation works as written: every shell block of the README and docs/ runs
against a fresh database with the demo data, and every GraphQL block is a valid document
of the schema. The rules are in tests/docs_blocks.py."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from graphql import parse, validate

from config.schema import schema
from tests.docs_blocks import DOCUMENTS, ROOT, all_blocks, blocks, runnable, script_for

GRAPHQL_BLOCKS = all_blocks({"graphql"})
SHELL_DOCUMENTS = [
    path for path in DOCUMENTS if any(b.language in {"sh", "bash"} for b in blocks(path))
]
# Variables of the test process that must not leak into the documented commands: they
# would select the test settings or a database other than the fresh one.
_PRIVATE_ENV = ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "DEBUG", "SECRET_KEY", "TASKS_SYNC")


@pytest.mark.parametrize("block", GRAPHQL_BLOCKS, ids=[b.where for b in GRAPHQL_BLOCKS])
def test_graphql_block_is_valid(block):
    document = parse(block.text)
    errors = validate(schema._schema, document)
    assert not errors, f"{block.where}: " + "; ".join(error.message for error in errors)


def test_documents_have_blocks():
    # The parser must keep finding them (a broken fence regex would pass everything).
    assert len(GRAPHQL_BLOCKS) >= 10
    assert len(SHELL_DOCUMENTS) >= 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _sandbox(directory: Path) -> Path:
    """A working directory that looks like the checkout (its folders are links to it, its
    files copies), so the files that documented commands write stay out of it."""
    work = directory / "work"
    work.mkdir()
    for entry in ROOT.iterdir():
        if entry.name in {"var", ".env", ".git"}:
            continue
        if entry.is_file():  # copied: a command may write it (export_schema, say)
            shutil.copy2(entry, work / entry.name)
        else:
            (work / entry.name).symlink_to(entry)
    return work


def _wait_healthy(base: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"scripts/dev.sh exited ({process.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"scripts/dev.sh did not come up in {timeout:.0f} s:\n{log.read_text()}")


def _processes_using(data_dir: Path) -> list[int]:
    """Pids of the processes whose environment names this data directory: the API, the
    worker and their children, started by the fixture below (Linux /proc)."""
    marker = f"WAYMARK_DATA_DIR={data_dir}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def dev_server():
    """`scripts/dev.sh | tee` on a free port and a fresh SQLite database: migrations, demo
    data, the API and the worker, exactly as a new user starts them."""
    if connection.vendor != "sqlite":
        pytest.skip("the documentation describes the embedded default (SQLite); run once")
    with tempfile.TemporaryDirectory(prefix="waymark-docs-") as directory:
        directory = Path(directory)
        port = _free_port()
        data_dir = directory / "var"
        env = {k: v for k, v in os.environ.items() if k not in _PRIVATE_ENV}
        env |= {"WAYMARK_DATA_DIR": str(data_dir), "PORT": str(port)}
        work = _sandbox(directory)
        log = directory / "dev.log"
        # Under a pipe, in a session of its own: a Ctrl-C reaches the whole pipeline.
        process = subprocess.Popen(
            ["bash", "-c", f"bash scripts/dev.sh 2>&1 | tee {log}"],
            cwd=work,
            env=env,
            stdout=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        server = {"port": port, "env": env, "cwd": work, "process": process, "log": log}
        server["data_dir"] = data_dir
        try:
            _wait_healthy(f"http://127.0.0.1:{port}", process, log, timeout=300)
            yield server
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            for pid in _processes_using(data_dir):  # only ever ours: the path is unique
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
@pytest.mark.parametrize(
    "path", SHELL_DOCUMENTS, ids=[str(p.relative_to(ROOT)) for p in SHELL_DOCUMENTS]
)
def test_shell_blocks_run_as_written(path, dev_server):
    run = [b for b in blocks(path) if b.language in {"sh", "bash"} and runnable(b)]
    if not run:
        pytest.skip("no block of this document is run (see tests/docs_blocks.py)")
    result = subprocess.run(
        ["bash", "-c", script_for(run, dev_server["port"])],
        cwd=dev_server["cwd"],
        env=dev_server["env"],
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 0, (
        f"a shell block of {path.name} failed (status {result.returncode}); the last "
        f"'>>> block' line names it.\nstdout:\n{result.stdout[-4000:]}\n"
        f"stderr:\n{result.stderr[-4000:]}"
    )
    assert ">>> all blocks ran" in result.stderr


@pytest.mark.slow
def test_ctrl_c_under_a_pipe_stops_the_api_and_the_worker(dev_server):
    """`./scripts/dev.sh | tee log`, then Ctrl-C: the terminal sends SIGINT to the whole
    pipeline, tee dies first, and the script must still stop both of its processes."""
    assert _port_open(dev_server["port"])
    assert len(_processes_using(dev_server["data_dir"])) >= 2  # runserver and qcluster
    os.killpg(dev_server["process"].pid, signal.SIGINT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _processes_using(dev_server["data_dir"]):
        time.sleep(0.2)
    assert _processes_using(dev_server["data_dir"]) == [], dev_server["log"].read_text()[-2000:]
    assert not _port_open(dev_server["port"])
