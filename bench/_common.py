"""What the benchmark scripts share: a throwaway database, a real server process, the
machine's description, and their sections of docs/benchmarks.md.

The scripts configure Django through the same environment variables as production
(config/settings.py), so the server they start and the process that prepares the data
see the same database and the same SECRET_KEY (which peppers the API tokens).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "benchmarks.md"

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


# The database --------------------------------------------------------------------------


@contextlib.contextmanager
def throwaway_database(workdir: Path) -> Iterator[str]:
    """The URL of a new, empty database, removed afterwards.

    With DATABASE_URL naming a PostgreSQL server (e.g. under scripts/with-postgres.sh), a
    new database is created on that server and dropped at the end: the database the URL
    names is never touched. Otherwise a SQLite file in `workdir`.
    """
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{workdir / 'bench.sqlite3'}"
        return
    import psycopg

    name = f"waymark_bench_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(url)
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_environment(database_url: str, workdir: Path, **extra: str) -> dict[str, str]:
    """Production-like settings (DEBUG off) for a server on 127.0.0.1 without TLS, rate
    limits or inline tasks."""
    env = {
        "DATABASE_URL": database_url,
        "WAYMARK_DATA_DIR": str(workdir),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "RATE_LIMIT_PER_MINUTE": "0",
        "TASKS_SYNC": "0",
        "GRAPHQL_GRAPHIQL": "0",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.update(extra)
    return env


def setup_django(env: dict[str, str]) -> None:
    """Configure Django in this process with `env` and migrate the database."""
    os.environ.update(env)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def database_vendor() -> str:
    from django.db import connection

    return connection.vendor


def database_version() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
    return f"SQLite {sqlite3.sqlite_version}"


# The server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A server process (with its workers) in its own process group; `stop` ends the group.

    Use as a context manager: the server is stopped however the block ends.
    """

    def __init__(self, argv: list[str], env: dict[str, str], log: Path, port: int):
        self.argv, self.env, self.log, self.port = argv, env, log, port
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self, timeout: float = 60) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                cwd=REPO,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped as one
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"The server exited at start; see {self.log}:\n{self.tail()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
                if conn.getresponse().status == 200:
                    conn.close()
                    return
                conn.close()
            time.sleep(0.2)
        raise RuntimeError(f"The server did not answer /healthz in {timeout} s:\n{self.tail()}")

    def pids(self) -> list[int]:
        """The server process and its children (gunicorn's workers)."""
        if self.process is None or self.process.poll() is not None:
            return []
        return [self.process.pid, *children(self.process.pid)]

    def peak_rss_mib(self) -> dict[int, float]:
        """Each process's peak resident memory (VmHWM, Linux only), in MiB."""
        peaks = {}
        for pid in self.pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks[pid] = int(line.split()[1]) / 1024
        return peaks

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def gunicorn_argv(port: int, workers: int, threads: int = 1, timeout: int = 60) -> list[str]:
    if shutil.which("gunicorn", path=str(Path(sys.executable).parent)) is None:
        raise SystemExit(
            "gunicorn is not installed in this environment: pip install -e '.[server]'"
        )
    argv = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"]
    argv += ["--workers", str(workers), "--timeout", str(timeout), "--log-level", "warning"]
    if threads > 1:
        argv += ["--threads", str(threads)]
    return argv


@contextlib.contextmanager
def terminate_on_signals() -> Iterator[None]:
    """SIGTERM (and SIGHUP) end the script like Ctrl-C does, so `finally` blocks and
    context managers (the server, the database) still clean up."""

    def interrupt(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def workdir(keep: bool = False) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="waymark-bench-"))
    try:
        yield path
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)


# CPU accounting (Linux /proc; zeros elsewhere) -------------------------------------------

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found.extend(int(child) for child in task.read_text().split())
    return found


def cpu_times(pids: list[int]) -> dict[int, float]:
    """CPU seconds (user + system) each process has used so far."""
    times = {}
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            times[pid] = (int(fields[11]) + int(fields[12])) / _TICKS
    return times


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two `cpu_times` snapshots (processes that ended between
    them are not counted)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all CPUs together."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0, 0.0
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    total = sum(values[:8])
    return (total - idle) / _TICKS, total / _TICKS


def background_load(seconds: float = 2.0) -> float:
    """How busy the machine's CPUs are (0 to 1) over a short wait: other processes'
    load, which the figures measured next would share the CPUs with."""
    busy_before, total_before = machine_cpu()
    time.sleep(seconds)
    busy, total = machine_cpu()
    return (busy - busy_before) / (total - total_before) if total > total_before else 0.0


def database_server_pids() -> list[int]:
    """The processes of the PostgreSQL cluster this process is connected to, when it runs
    on this machine (the postmaster and all its children); [] otherwise."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    try:
        status = Path(f"/proc/{backend}/status").read_text()
    except OSError:
        return []  # not on this machine
    postmaster = int(
        next(line for line in status.splitlines() if line.startswith("PPid:")).split()[1]
    )
    return [postmaster, *children(postmaster)]


class CpuMeter:
    """CPU used during a block by the server's processes, the database server's (when it
    runs here) and this process, and how busy the whole machine was."""

    def __init__(self, server: Server, database_pids: list[int]):
        self.server = server
        self.postmaster = database_pids[0] if database_pids else None

    def _database_pids(self) -> list[int]:
        return [self.postmaster, *children(self.postmaster)] if self.postmaster else []

    @contextlib.contextmanager
    def measure(self) -> Iterator[dict[str, float]]:
        server, database = self.server.pids(), self._database_pids()
        before = (cpu_times(server), cpu_times(database), time.process_time(), machine_cpu())
        used: dict[str, float] = {}
        yield used
        server, database = self.server.pids(), self._database_pids()
        after = (cpu_times(server), cpu_times(database), time.process_time(), machine_cpu())
        busy, total = (after[3][0] - before[3][0]), (after[3][1] - before[3][1])
        used.update(
            server=cpu_used(before[0], after[0]),
            database=cpu_used(before[1], after[1]) if self.postmaster else float("nan"),
            client=after[2] - before[2],
            busy=busy / total if total else float("nan"),
        )


# The machine ---------------------------------------------------------------------------


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory() -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(["free", "-h"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Mem:"):
                return line.split()[1]
    return "unknown"


def machine(database: str) -> dict[str, str]:
    import django

    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": str(os.cpu_count()),
        "cpu": _cpu_model(),
        "memory": _memory(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": database,
    }


def machine_line(info: dict[str, str]) -> str:
    return (
        f"{info['date']}; {info['cpus']} CPUs ({info['cpu']}), {info['memory']} RAM, "
        f"{info['os']}; Python {info['python']}, Django {info['django']}, {info['database']}."
    )


# docs/benchmarks.md --------------------------------------------------------------------

DOC_HEADER = """\
# Benchmarks

Figures measured by the scripts in `bench/` (see `bench/README.md`). Each script owns a
section between `<!-- bench:NAME -->` markers and rewrites only the result blocks inside
it (`<!-- bench:NAME:BACKEND -->`), so re-running one benchmark leaves the others, and
the prose around the results, as they are. Every result block names the machine it was
measured on (`nproc`, memory from `free -h`, the CPU model from `/proc/cpuinfo`), the
date, and the Python, Django and database versions: compare figures only within one
machine.

The scripts start real server processes on 127.0.0.1 and talk HTTP to them, with
production settings (`DEBUG=0`) except TLS and the rate limit, on a throwaway
database. Nothing in `bench/` runs in the test suite or in CI.
"""


def _block(name: str, body: str) -> str:
    return f"<!-- {name} -->\n{body.strip()}\n<!-- /{name} -->"


def write_section(section: str, skeleton: str, block: str, body: str) -> Path:
    """Put `body` into block `bench:SECTION:BLOCK` of docs/benchmarks.md.

    The file is created with its header, and the section with `skeleton` (which must
    hold the block's markers), when missing. Only the block's content is replaced.
    """
    text = DOC.read_text() if DOC.exists() else DOC_HEADER
    outer = f"bench:{section}"
    if f"<!-- {outer} -->" not in text:
        text = text.rstrip("\n") + "\n\n" + _block(outer, skeleton) + "\n"
    inner = f"bench:{section}:{block}"
    pattern = re.compile(rf"<!-- {re.escape(inner)} -->.*?<!-- /{re.escape(inner)} -->", re.S)
    replacement = _block(inner, body)
    if pattern.search(text):
        text = pattern.sub(lambda _match: replacement, text, count=1)
    else:  # a block of a backend the skeleton did not foresee: at the end of the section
        closing = f"<!-- /{outer} -->"
        text = text.replace(closing, f"{replacement}\n\n{closing}", 1)
    DOC.write_text(text)
    return DOC


def publish(section: str, skeleton: str, block: str, markdown: str, *, write: bool) -> None:
    """Print a benchmark's markdown and, with `write`, put it into its block of
    docs/benchmarks.md."""
    print()
    print(markdown)
    if write:
        path = write_section(section, skeleton, block, markdown)
        print(f"\nWritten to {path.relative_to(REPO)}")


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
