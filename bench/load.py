"""Load, failover and soak (#18): two API processes and a job worker on one PostgreSQL.

`make bench ONLY=load`. Scratch database `rostra_bench_load`; the servers connect as the
plain app role (row-level security on). 20 schools' classroom services each send a batch
of ROSTRA_BENCH_LOAD_BATCH (200) events every ROSTRA_BENCH_LOAD_INGEST_EVERY seconds (5;
0: back to back, as fast as the servers take them; a late batch is followed at once) while
200 simulated people read: per school an admin paging the members, four teacher sessions
reading rollups and the lesson analytics, five students reading their lesson and rollups,
each pausing about ROSTRA_BENCH_LOAD_THINK seconds (5) between reads. Requests go through
a small client-side balancer over both servers; a refused connection is sent to the other
one (what a load balancer's health check does), a request that fails once sent is an error.

Phases, each ROSTRA_BENCH_LOAD_SECONDS (60) long:
- `load_ingest_events_per_s`: events acknowledged (accepted or duplicate) per second.
- `load_read_p99_ms`; baseline: the same reads' p99 one at a time with nothing else running.
- `load_errors`: answers other than 2xx and 429 plus requests failed in flight.
- `load_lost_events`: events acknowledged but not in the database afterwards.
- failover: the same load, one API process killed (-9) half-way and restarted:
  `failover_lost_events`, `failover_errors` (only requests in flight at the kill).
ROSTRA_BENCH_SOAK=600 adds a soak of that many seconds: `soak_rss_<process>_mib` is each
process's resident memory at the end, its baseline the same at the start (ten readings in
between are printed); `soak_errors` and `soak_lost_events` as in the load phase.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

from app.core.config import ROOT
from app.core.security import Keys
from bench import procs
from bench.load_world import School, seed
from bench.report import Figure, figure, write
from bench.scratch import SECRET, Scratch

SECONDS = float(os.environ.get("ROSTRA_BENCH_LOAD_SECONDS", "60"))
SOAK = float(os.environ.get("ROSTRA_BENCH_SOAK", "0"))
THINK = float(os.environ.get("ROSTRA_BENCH_LOAD_THINK", "5.0"))
BATCH = int(os.environ.get("ROSTRA_BENCH_LOAD_BATCH", "200"))
INGEST_EVERY = float(os.environ.get("ROSTRA_BENCH_LOAD_INGEST_EVERY", "5.0"))
DB = Scratch("rostra_bench_load")
VAR = ROOT / "var" / "bench" / "load"


@dataclass
class Tally:
    acked: list[str] = field(default_factory=list)  # batch id prefixes acknowledged
    accepted: int = 0
    duplicates: int = 0
    errors: int = 0
    throttled: int = 0
    latencies: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    kinds: Counter[str] = field(default_factory=Counter)

    def error(self, what: str, kind: str) -> None:
        self.errors += 1
        self.kinds[kind] += 1
        if len(self.notes) < 4:
            self.notes.append(what[:200])


class Balancer:
    """Round robin over the servers that are up; a refused connection marks one down."""

    def __init__(self, clients: list[httpx.AsyncClient]) -> None:
        self.clients = clients
        self.up = [True] * len(clients)
        self.turn = 0

    def pick(self) -> int:
        for _ in self.clients:
            self.turn = (self.turn + 1) % len(self.clients)
            if self.up[self.turn]:
                return self.turn
        return self.turn

    async def send(self, method: str, path: str, **kw: Any) -> httpx.Response:
        for _ in range(2 * len(self.clients)):
            index = self.pick()
            try:
                return await self.clients[index].request(method, path, **kw)
            except httpx.ConnectError:
                self.up[index] = False  # not sent: the other server takes it
                await asyncio.sleep(0.05)
        raise httpx.ConnectError("no server accepts connections")


@dataclass
class Reader:
    headers: dict[str, str]
    paths: list[str]
    admin: bool = False
    turn: int = 0
    cursor: str | None = None  # the admin's place in the member list

    def next_path(self) -> str:
        self.turn += 1
        return self.paths[self.turn % len(self.paths)]

    def params(self) -> dict[str, str]:
        return {"limit": "50", "cursor": self.cursor} if self.cursor else {"limit": "50"}


def readers(world: list[School], keys: Keys) -> list[Reader]:
    now = datetime.now(UTC)

    def bearer(account: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {keys.signer.issue(str(account), now)[0]}"}

    out = []
    for school in world:
        base = f"/v1/tenants/{school.slug}"
        out.append(Reader(bearer(school.admin), [f"{base}/members"], admin=True))
        for n in range(4):
            lesson = school.lessons[n]
            out.append(
                Reader(
                    bearer(lesson.teacher),
                    [
                        f"{base}/lessons/{lesson.id}/rollups",
                        f"{base}/analytics/lessons/{lesson.id}",
                    ],
                )
            )
        for n in range(5):
            lesson = school.lessons[n % len(school.lessons)]
            student = lesson.students[n]
            out.append(
                Reader(
                    bearer(student),
                    [f"{base}/lessons/{lesson.id}", f"{base}/lessons/{lesson.id}/rollups"],
                )
            )
    return out


async def _read_once(balancer: Balancer, reader: Reader, tally: Tally) -> None:
    started = time.perf_counter()
    try:
        response = await balancer.send(
            "GET", reader.next_path(), params=reader.params(), headers=reader.headers
        )
    except httpx.HTTPError as exc:
        tally.error(f"read failed in flight: {exc!r}", f"read {type(exc).__name__}")
        return
    if response.status_code == 429:
        tally.throttled += 1
    elif response.status_code != 200:
        tally.error(f"read {response.status_code}: {response.text}", f"read {response.status_code}")
    else:
        tally.latencies.append((time.perf_counter() - started) * 1000)
        if reader.admin:
            reader.cursor = response.json().get("next_cursor")


async def _reading(balancer: Balancer, reader: Reader, tally: Tally, stop_at: float) -> None:
    await asyncio.sleep(random.uniform(0, THINK))
    while time.monotonic() < stop_at:
        await _read_once(balancer, reader, tally)
        await asyncio.sleep(random.uniform(0.5, 1.5) * THINK)


async def _ingest_once(balancer: Balancer, school: School, number: int, tally: Tally) -> None:
    """One batch, sent again until acknowledged (ingestion is idempotent)."""
    body = orjson.dumps({"events": school.batch(number, BATCH)})
    headers = {"Authorization": f"Bearer {school.key}", "Content-Type": "application/json"}
    for _ in range(20):
        try:
            response = await balancer.send(
                "POST", "/v1/ingest/events", content=body, headers=headers
            )
        except httpx.HTTPError as exc:
            tally.error(f"ingest failed in flight: {exc!r}", f"ingest {type(exc).__name__}")
            await asyncio.sleep(0.2)
            continue
        if response.status_code == 429:
            tally.throttled += 1
            await asyncio.sleep(min(float(response.headers.get("Retry-After", "1")), 5))
            continue
        if response.status_code != 202:
            tally.error(
                f"ingest {response.status_code}: {response.text}", f"ingest {response.status_code}"
            )
            await asyncio.sleep(0.2)
            continue
        counts = response.json()
        tally.accepted += counts["accepted"]
        tally.duplicates += counts["duplicates"]
        tally.acked.append(f"{school.slug}-b{number}-")
        return


async def _ingesting(
    balancer: Balancer, school: School, first: int, tally: Tally, stop_at: float
) -> None:
    number, due = first, time.monotonic() + random.uniform(0, INGEST_EVERY)
    await asyncio.sleep(max(due - time.monotonic(), 0))
    while time.monotonic() < stop_at:
        await _ingest_once(balancer, school, number, tally)
        number, due = number + 1, due + INGEST_EVERY  # a late batch is followed at once
        await asyncio.sleep(max(due - time.monotonic(), 0))


async def run_phase(
    balancer: Balancer,
    world: list[School],
    people: list[Reader],
    seconds: float,
    first_batch: int,
    midway: Callable[[], Awaitable[None]] | None = None,
) -> Tally:
    tally = Tally()
    stop_at = time.monotonic() + seconds
    work = [_ingesting(balancer, s, first_batch, tally, stop_at) for s in world]
    work += [_reading(balancer, r, tally, stop_at) for r in people]
    if midway is not None:

        async def later() -> None:
            await asyncio.sleep(seconds / 2)
            await midway()

        work.append(later())
    await asyncio.gather(*work)
    return tally


async def unloaded_p99(balancer: Balancer, people: list[Reader], count: int = 300) -> float:
    tally = Tally()
    for n in range(count):
        await _read_once(balancer, people[(n * 7) % len(people)], tally)
    return p99(tally.latencies)


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) > 1 else float("nan")


def lost(tally: Tally) -> int:
    """Events acknowledged to a classroom service that the database does not hold."""
    with DB.owner() as conn:
        held = conn.execute(
            "SELECT count(*) FROM classroom_event WHERE "
            "substring(client_id from '^(.*-b[0-9]+-)') = ANY(%s)",
            (tally.acked,),
        ).fetchone()
    return len(tally.acked) * BATCH - int(held[0] if held else 0)


def report(name: str, tally: Tally, seconds: float) -> None:
    print(
        f"  {name}: {len(tally.acked)} batches acknowledged ({tally.accepted} accepted, "
        f"{tally.duplicates} duplicates), {len(tally.latencies)} reads, "
        f"{tally.errors} errors, {tally.throttled} throttled (429) in {seconds:.0f} s"
    )
    if tally.kinds:
        print(f"    errors by kind: {dict(tally.kinds)}")
    for note in tally.notes:
        print(f"    {note}")


class Deployment:
    """Two API processes and a job worker, logs under var/bench/load/; the worker seals the
    audit chain and the API processes do not, as `deploy/` runs them."""

    def __init__(self) -> None:
        env = procs.environment(
            database_url=DB.app_url,
            owner_url=DB.owner_url,
            secret_key=SECRET,
            var_dir=VAR,
            object_store_dir=VAR / "objects",
        )
        api_env = {**env, "ROSTRA_AUDIT_SEALER": "false"}
        self.api = [procs.server(n, api_env, VAR / f"{n}.log") for n in ("api-a", "api-b")]
        self.every = [*self.api, procs.worker("jobs", env, VAR / "jobs.log")]

    def rss(self) -> dict[str, float]:
        return {p.name: p.rss_mib() for p in self.every}

    def cpu(self) -> dict[str, float]:
        return {p.name: p.cpu_seconds() for p in self.every}


async def _kill_and_restart(deployment: Deployment, balancer: Balancer) -> None:
    victim = deployment.api[0]
    victim.stop(signal.SIGKILL)
    started = time.monotonic()
    victim.start()
    await asyncio.to_thread(victim.wait_ready)
    balancer.up[0] = True
    print(f"  {victim.name} killed (-9) and serving again after {time.monotonic() - started:.1f} s")


async def _soak(
    deployment: Deployment, balancer: Balancer, world: list[School], people: list[Reader]
) -> list[Figure]:
    before = deployment.rss()
    samples: list[dict[str, float]] = []

    async def sample() -> None:  # ten readings, to tell a plateau from a climb
        for _ in range(10):
            await asyncio.sleep(SOAK / 10)
            samples.append(deployment.rss())

    sampler = asyncio.create_task(sample())
    soak = await run_phase(balancer, world, people, SOAK, 200_000)
    sampler.cancel()
    after = deployment.rss()
    report("soak", soak, SOAK)
    print(f"  resident memory (MiB) at start {before}, at end {after}")
    for name in before:
        print(f"    {name} every {SOAK / 10:.0f} s: {[round(s[name]) for s in samples]}")
    figures = [
        figure(f"soak_rss_{name.replace('-', '_')}_mib", after[name], "MiB", before[name])
        for name in before
    ]
    return [
        *figures,
        figure("soak_errors", soak.errors, "requests"),
        figure("soak_lost_events", lost(soak), "events"),
    ]


async def measure(
    deployment: Deployment, world: list[School], people: list[Reader]
) -> list[Figure]:
    # Idle connections are dropped before uvicorn's 5 s keep-alive ends: otherwise a request
    # sent as the server closes one fails, which is the bench's race, not the servers'.
    limits = httpx.Limits(max_connections=400, max_keepalive_connections=400, keepalive_expiry=2)
    clients = [httpx.AsyncClient(base_url=p.url, timeout=60, limits=limits) for p in deployment.api]
    try:
        balancer = Balancer(clients)
        warm = Tally()
        await asyncio.gather(*(_ingest_once(balancer, s, 0, warm) for s in world))
        baseline = await unloaded_p99(balancer, people)
        cpu, own = deployment.cpu(), time.process_time()
        load = await run_phase(balancer, world, people, SECONDS, 1)
        report("load", load, SECONDS)
        used = {n: round(c - cpu[n], 1) for n, c in deployment.cpu().items()}
        used["generator"] = round(time.process_time() - own, 1)  # this process: the clients
        print(
            f"  CPU seconds used in the {SECONDS:.0f} s: {used} (the machine has {os.cpu_count()}, "
            f"load average {os.getloadavg()[0]:.1f})"
        )
        load_lost = lost(load)

        async def kill() -> None:
            await _kill_and_restart(deployment, balancer)

        failover = await run_phase(balancer, world, people, SECONDS, 100_000, kill)
        report("failover", failover, SECONDS)
        print(f"  failover read p99 {p99(failover.latencies):.1f} ms")
        figures = [
            figure("load_ingest_events_per_s", len(load.acked) * BATCH / SECONDS, "events/s"),
            figure("load_read_p99_ms", p99(load.latencies), "ms", baseline),
            figure("load_errors", load.errors, "requests"),
            figure("load_lost_events", load_lost, "events"),
            figure("failover_lost_events", lost(failover), "events"),
            figure("failover_errors", failover.errors, "requests"),
        ]
        if SOAK > 0:
            figures += await _soak(deployment, balancer, world, people)
        return figures
    finally:
        for client in clients:
            await client.aclose()


def main() -> None:
    VAR.mkdir(parents=True, exist_ok=True)
    for log in VAR.glob("*.log"):
        log.unlink()
    DB.create()
    try:
        keys = Keys(DB.settings(var_dir=VAR))  # the servers read the same development key
        world = seed(DB.owner_url.replace("+asyncpg", "+psycopg"), keys)
        people = readers(world, keys)
        deployment = Deployment()
        procs.start_all(deployment.every)
        try:
            print(
                f"load: {len(world)} schools ingesting, {len(people)} readers, "
                f"{SECONDS:.0f} s per phase, batches of {BATCH} every {INGEST_EVERY} s, "
                f"think {THINK} s"
            )
            figures = asyncio.run(measure(deployment, world, people))
        finally:
            procs.stop_all(deployment.every)
        write("load", figures)
    finally:
        DB.drop()
