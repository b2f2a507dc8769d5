"""Real scale-out engines for tests: a PostgreSQL server started from the Debian binaries, and chDB URLs.

    server = PostgresServer.start(tmp_dir)        # initdb + pg_ctl on a free 127.0.0.1 port
    url = server.create_database("t_1")           # postgresql://postgres@127.0.0.1:<port>/t_1
    server.stop()

We run as root in CI, and PostgreSQL refuses to run as root, so the server runs as the ``postgres``
OS user (created when missing) through ``runuser``. ``TRACEHOUND_TEST_STORES=scale`` makes the
API/e2e suites use ClickHouse (chDB) + PostgreSQL instead of SQLite (see tests/conftest.py).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path


def pg_bin() -> Path | None:
    """The newest PostgreSQL binaries directory on this machine, if any."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(args: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return args
    if subprocess.run(["id", "-u", "postgres"], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], check=True)
    return ["runuser", "-u", "postgres", "--", *args]


@dataclass
class PostgresServer:
    data_dir: Path
    port: int
    bin_dir: Path

    @classmethod
    def start(cls) -> PostgresServer:
        """A server in a fresh directory of the system temp dir (pytest's are private to root)."""
        bin_dir = pg_bin()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
        base = Path(tempfile.mkdtemp(prefix="tracehound-pg-"))
        data_dir = base / "pgdata"
        if os.geteuid() == 0:
            shutil.chown(base, "postgres")
            os.chmod(base, 0o755)
        subprocess.run(_as_postgres([str(bin_dir / "initdb"), "-D", str(data_dir), "-A", "trust", "-U", "postgres",
                                     "--no-sync", "-E", "UTF8"]), check=True, capture_output=True)
        port = free_port()
        options = f"-p {port} -h 127.0.0.1 -k {data_dir} -F -c max_connections=200 -c shared_buffers=32MB"
        subprocess.run(_as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-o", options, "-w", "-t", "60",
                                     "-l", str(data_dir / "server.log"), "start"]), check=True, capture_output=True)
        return cls(data_dir, port, bin_dir)

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        import psycopg

        name = name or f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        subprocess.run(_as_postgres([str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate",
                                     "stop"]), capture_output=True)
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def chdb_url(path: Path, database: str | None = None) -> str:
    """A ``chdb:///`` URL for a fresh database (chDB allows one engine path per process: share ``path``)."""
    return f"chdb://{path}?database={database or 't_' + uuid.uuid4().hex[:12]}"
