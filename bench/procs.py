"""Real Rostra processes for the several-process test and the load bench: `rostra serve`
and `rostra worker` started as subprocesses on one database, waited for, killed, measured."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from app.core.config import ROOT

ROSTRA = ROOT / ".venv" / "bin" / "rostra"
# A shared, busy machine can take a minute or more just to import the app.
START_SECONDS = float(os.environ.get("ROSTRA_BENCH_SERVER_START", "180"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def environment(
    *,
    database_url: str,
    owner_url: str,
    secret_key: str,
    var_dir: Path,
    object_store_dir: Path,
    **extra: str,
) -> dict[str, str]:
    """The settings every process of one deployment shares (as `ROSTRA_*` variables)."""
    env = {
        "ROSTRA_ENV": "test",
        "ROSTRA_DATABASE_URL": database_url,
        "ROSTRA_MIGRATE_DATABASE_URL": owner_url,
        "ROSTRA_SECRET_KEY": secret_key,
        "ROSTRA_VAR_DIR": str(var_dir),
        "ROSTRA_OBJECT_STORE_DIR": str(object_store_dir),
        "ROSTRA_LOG_JSON": "false",
    }
    return env | {f"ROSTRA_{k.upper()}": v for k, v in extra.items()}


def environment_of(settings: Any, **extra: str) -> dict[str, str]:
    """`environment` for the processes of one deployment sharing `settings`' database,
    keys and folders (the tests that start real servers)."""
    return environment(
        database_url=settings.database_url,
        owner_url=settings.owner_database_url,
        secret_key=settings.secret_key,
        var_dir=settings.var_dir,
        object_store_dir=settings.object_store_dir,
        **extra,
    )


@dataclass
class Proc:
    """One started process (its own session, so a kill reaches its children too)."""

    name: str
    args: list[str]
    env: Mapping[str, str]
    port: int | None = None
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    log: Path | None = None

    def start(self) -> Proc:
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115
        self.popen = subprocess.Popen(
            [str(ROSTRA), *self.args],
            env={**os.environ, **self.env},
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT if self.log else subprocess.DEVNULL,
            start_new_session=True,
        )
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, seconds: float = START_SECONDS) -> Proc:
        """Until `/readyz` answers 200 (servers) or the process is up (workers)."""
        assert self.popen is not None
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.popen.returncode}")
            if self.port is None:
                return self
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return self
            time.sleep(0.1)
        self.stop(signal.SIGKILL)
        raise RuntimeError(f"{self.name} did not start within {seconds:.0f} s")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout)

    def rss_mib(self) -> float:
        """Resident memory of the process and its children (uvicorn's workers), in MiB."""
        if self.popen is None or self.popen.poll() is not None:
            return 0.0
        try:
            root = psutil.Process(self.popen.pid)
            total = root.memory_info().rss
            for child in root.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    total += child.memory_info().rss
        except psutil.Error:
            return 0.0
        return total / 2**20

    def worker_pids(self) -> list[int]:
        """The pids of uvicorn's worker processes (`--workers N`), oldest first."""
        if self.popen is None or self.popen.poll() is not None:
            return []
        try:
            children = psutil.Process(self.popen.pid).children(recursive=True)
            found = []
            for child in children:
                with contextlib.suppress(psutil.Error):
                    if "multiprocessing.spawn" in " ".join(child.cmdline()):
                        found.append((child.create_time(), child.pid))
        except psutil.Error:
            return []
        return [pid for _, pid in sorted(found)]

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the process and its children have used so far."""
        if self.popen is None or self.popen.poll() is not None:
            return 0.0
        try:
            root = psutil.Process(self.popen.pid)
            times = [root.cpu_times()]
            for child in root.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    times.append(child.cpu_times())
        except psutil.Error:
            return 0.0
        return sum(t.user + t.system for t in times)


def server(name: str, env: Mapping[str, str], log: Path | None = None, workers: int = 1) -> Proc:
    port = free_port()
    args = ["serve", "--port", str(port), "--workers", str(workers)]
    return Proc(name, args, env, port=port, log=log)


def worker(name: str, env: Mapping[str, str], log: Path | None = None) -> Proc:
    return Proc(name, ["worker"], env, log=log)


def start_all(procs: list[Proc], seconds: float = START_SECONDS) -> list[Proc]:
    """Start every process at once (imports overlap), then wait for each to be ready."""
    for proc in procs:
        proc.start()
    try:
        for proc in procs:
            proc.wait_ready(seconds)
    except BaseException:
        stop_all(procs, signal.SIGKILL)
        raise
    return procs


def stop_all(procs: list[Proc], sig: int = signal.SIGTERM) -> None:
    for proc in procs:
        proc.stop(sig)


def run(args: list[str], env: Mapping[str, str], timeout: float = 120) -> tuple[int, str]:
    """A `rostra` command to its end: (exit code, stdout and stderr)."""
    done = subprocess.run(
        [str(ROSTRA), *args],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    return done.returncode, (done.stdout + done.stderr).decode(errors="replace")
