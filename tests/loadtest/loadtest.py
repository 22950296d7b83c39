"""Load and fault test: many concurrent users against gunicorn + PostgreSQL, a database restart
in the middle, and clients that drop an export mid-stream. Loopback only, bounded in time.

    make loadtest                                  # defaults below, from the environment
    LOADTEST_USERS=50 LOADTEST_DURATION=60 LOADTEST_CONCERNS=1000000 make loadtest

Environment (all optional):
    LOADTEST_DATABASE_URL   PostgreSQL database to test against (default: DATABASE_URL)
    LOADTEST_CONCERNS       fill an empty database with this many concerns first (1000000; generate_demo_data)
    LOADTEST_USERS          concurrent virtual users (50)
    LOADTEST_DURATION       seconds of steady load (60)
    LOADTEST_THINK          seconds a user reads a page before the next click, randomly 0.5-1.5 times
                            this (0: none, the next request as soon as the last is answered: a stress test)
    LOADTEST_FAULT_DURATION seconds of load around the database restart (40; 0 skips the restart)
    LOADTEST_PG_CLUSTER     "VERSION NAME" of the PostgreSQL cluster to restart (default: newest version, "main")
    LOADTEST_PORT           port for gunicorn on 127.0.0.1 (8104)
    LOADTEST_WORKERS / LOADTEST_THREADS  gunicorn processes and threads per process (4 / 4)
    LOADTEST_RESULTS        JSON file for the figures (loadtest-results.json)

Not collected by pytest (no test_ prefix). Exit status 1 when any check fails.
"""

import asyncio
import importlib.util
import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REQUEST_TIMEOUT = 30.0  # a request taking longer counts as a hang
HANG = 15.0


def env(name: str, default: str) -> str:
    return os.environ.get(name) or default


DATABASE_URL = env("LOADTEST_DATABASE_URL", os.environ.get("DATABASE_URL", ""))
USERS = int(env("LOADTEST_USERS", "50"))
DURATION = float(env("LOADTEST_DURATION", "60"))
THINK = float(env("LOADTEST_THINK", "0"))
FAULT_DURATION = float(env("LOADTEST_FAULT_DURATION", "40"))
CONCERNS = int(env("LOADTEST_CONCERNS", "1000000"))
PORT = int(env("LOADTEST_PORT", "8104"))
WORKERS = env("LOADTEST_WORKERS", "4")
THREADS = env("LOADTEST_THREADS", "4")
RESULTS = Path(env("LOADTEST_RESULTS", "loadtest-results.json"))
CLUSTER = env("LOADTEST_PG_CLUSTER", f"{(sorted(os.listdir('/etc/postgresql')) or ['15'])[-1]} main")
BASE = f"http://127.0.0.1:{PORT}"
# One key for the server and for this process, which writes the test user's session.
SECRET_KEY = secrets.token_urlsafe(50)


@dataclass
class Outcome:
    kind: str
    url: str
    started: float
    seconds: float
    status: int  # 0: no HTTP response (connection error or timeout)
    error: str = ""


@dataclass
class Report:
    size: dict = field(default_factory=dict)
    steady: dict = field(default_factory=dict)
    fault: dict = field(default_factory=dict)
    dropped_exports: dict = field(default_factory=dict)
    failures: list = field(default_factory=list)


# --- the application under test ---------------------------------------------------------------


def server_env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    out.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=SECRET_KEY,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        # Stands in for the TLS-terminating proxy: requests say they came in over HTTPS.
        DJANGO_SECURE_PROXY_SSL_HEADER="1",
        DATABASE_URL=DATABASE_URL,
    )
    return out


def manage(*args: str) -> None:
    subprocess.run([str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=server_env(), check=True)  # noqa: S603


def setup_django() -> None:
    os.environ.update(server_env())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskreg.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def prepare_data() -> dict:
    from riskreg.models import Concern, Enterprise, Site

    if CONCERNS and not Concern.objects.exists():
        print(f"Generating {CONCERNS:,} concerns with generate_demo_data ...", flush=True)
        manage("generate_demo_data", "--concerns", str(CONCERNS))
    return {
        "concerns": Concern.objects.count(),
        "sites": Site.objects.count(),
        "enterprises": Enterprise.objects.count(),
    }


def session_cookie() -> str:
    """A logged-in Viewer's session, made directly in the session store (no login form, no lockout)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore

    from riskreg.roles import VIEWER

    user, _created = get_user_model().objects.get_or_create(username="loadtest-viewer")
    user.groups.add(Group.objects.get(name=VIEWER))
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def sample_ids(model, n: int = 300) -> list[int]:
    """Existing primary keys spread over the table, without ORDER BY random() on a million rows."""
    from django.db.models import Max, Min

    bounds = model.objects.aggregate(lo=Min("pk"), hi=Max("pk"))
    if bounds["lo"] is None:
        return []
    rng = random.Random(1)
    ids = set()
    for _ in range(n):
        start = rng.randint(bounds["lo"], bounds["hi"])
        pk = model.objects.filter(pk__gte=start).order_by("pk").values_list("pk", flat=True).first()
        if pk is not None:
            ids.add(pk)
    return sorted(ids)


def request_mix() -> tuple[list[tuple[str, int, object]], str | None]:
    """(kind, weight, url maker) for each request type the project offers, and an export URL if any."""
    from django.urls import get_resolver

    from riskreg.models import Concern, District, Enterprise, Region, Site

    names = {n for n in get_resolver().reverse_dict if isinstance(n, str)}
    concern_ids, site_ids, enterprise_ids = sample_ids(Concern), sample_ids(Site), sample_ids(Enterprise)
    regions = list(Region.objects.values_list("pk", flat=True)) or [0]
    districts = list(District.objects.values_list("pk", flat=True)[:200]) or [0]
    pick = random.choice

    mix: list[tuple[str, int, object]] = [
        ("list", 6, lambda: pick(["/concerns/", "/sites/", "/enterprises/", "/measures/", "/engagements/"])),
        ("dashboard", 2, lambda: "/"),
        ("list-page-n", 2, lambda: f"/concerns/?page={random.randint(2, 200)}"),
        ("filter", 4, lambda: f"/concerns/?level={random.randint(1, 4)}&status=open"),
        ("filter", 3, lambda: f"/concerns/?region={pick(regions)}&level=4"),
        ("filter", 2, lambda: f"/sites/?district={pick(districts)}"),
        ("filter", 2, lambda: "/concerns/?overdue=true"),
        ("search", 2, lambda: f"/concerns/?q={pick(['gold', 'plant', 'mine', 'security', 'zzzz'])}"),
        ("detail", 6, lambda: f"/concerns/{pick(concern_ids)}/"),
        ("detail", 2, lambda: f"/sites/{pick(site_ids)}/"),
        ("detail", 2, lambda: f"/enterprises/{pick(enterprise_ids)}/"),
    ]
    if "site_map" in names:
        mix.append(("map", 2, lambda: f"/map/?region={pick(regions)}"))
        mix.append(("map-data", 3, lambda: f"/map/data.json?region={pick(regions)}"))
    # The register's lists export what they show as CSV with ?_export=csv (riskreg/exports.py).
    export_path = "/concerns/?_export=csv" if importlib.util.find_spec("riskreg.exports") else None
    if export_path:
        # Bounded exports: one region's critical concerns, as a user would filter before exporting.
        mix.append(("export", 2, lambda: f"{export_path}&region={pick(regions)}&level=4"))
    return mix, export_path


class Server:
    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        manage("collectstatic", "--noinput", "-v0")
        args = [
            str(BIN / "gunicorn"), "riskreg.wsgi", "--bind", f"127.0.0.1:{PORT}", "--workers", WORKERS,
            "--worker-class", "gthread", "--threads", THREADS, "--timeout", "120", "--log-level", "warning",
            # Idle connections are kept longer than a user's think time: closing one just as the
            # client reuses it fails that request (a browser would retry; this client does not).
            "--keep-alive", "5",
        ]  # fmt: skip
        self.log = open(ROOT / "loadtest-gunicorn.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(args, cwd=ROOT, env=server_env(), stdout=self.log, stderr=self.log)  # noqa: S603
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{BASE}/accounts/login/", headers={"X-Forwarded-Proto": "https"}).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not come up; see loadtest-gunicorn.log")

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # quick shutdown: do not wait for streams in flight
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


# --- the client side -------------------------------------------------------------------------


def client(cookie: str, users: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=BASE,
        headers={"X-Forwarded-Proto": "https", "Cookie": f"sessionid={cookie}"},
        timeout=httpx.Timeout(REQUEST_TIMEOUT),
        # Idle connections are dropped 1 s before gunicorn's keep-alive (5 s) closes them: at equal
        # times the client could send a request on a connection the server was just closing (a
        # ReadError after a few ms), which a browser would silently retry.
        limits=httpx.Limits(max_connections=users, max_keepalive_connections=users, keepalive_expiry=4.0),
        follow_redirects=False,
    )


async def one_request(http: httpx.AsyncClient, kind: str, url: str, t0: float) -> Outcome:
    started = time.monotonic()
    try:
        async with http.stream("GET", url) as response:
            async for _chunk in response.aiter_bytes():
                pass  # read the whole body, as a browser would
        return Outcome(kind, url, started - t0, time.monotonic() - started, response.status_code)
    except httpx.HTTPError as exc:
        return Outcome(kind, url, started - t0, time.monotonic() - started, 0, type(exc).__name__)


async def run_load(cookie: str, mix, users: int, seconds: float, t0: float) -> list[Outcome]:
    kinds = [(kind, maker) for kind, weight, maker in mix for _ in range(weight)]
    outcomes: list[Outcome] = []
    end = time.monotonic() + seconds
    async with client(cookie, users) as http:

        async def user() -> None:
            while time.monotonic() < end:
                kind, maker = random.choice(kinds)
                outcomes.append(await one_request(http, kind, maker(), t0))
                if THINK:
                    # A person reads the page before the next click.
                    await asyncio.sleep(THINK * random.uniform(0.5, 1.5))

        await asyncio.gather(*(user() for _ in range(users)))
    return outcomes


def summarise(outcomes: list[Outcome], seconds: float) -> dict:
    def stats(items: list[Outcome]) -> dict:
        times = sorted(o.seconds for o in items)
        q = statistics.quantiles(times, n=100, method="inclusive") if len(times) > 1 else times * 99
        return {
            "requests": len(items),
            "errors": sum(o.status != 200 for o in items),
            "p50_ms": round(q[49] * 1000),
            "p95_ms": round(q[94] * 1000),
            "max_ms": round(times[-1] * 1000),
        }

    by_kind = {}
    for kind in sorted({o.kind for o in outcomes}):
        by_kind[kind] = stats([o for o in outcomes if o.kind == kind])
    return {
        **stats(outcomes),
        "requests_per_second": round(len(outcomes) / seconds, 1),
        "by_kind": by_kind,
        "error_samples": [asdict(o) for o in outcomes if o.status != 200][:10],
    }


def restart_postgres(marks: dict, t0: float, delay: float) -> None:
    time.sleep(delay)
    version, name = CLUSTER.split()
    marks["restart_started"] = time.monotonic() - t0
    subprocess.run(  # noqa: S603
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "restart"],  # noqa: S607
        check=True,
        capture_output=True,
    )
    marks["restart_finished"] = time.monotonic() - t0


def fault_phase(cookie: str, mix, report: Report) -> None:
    t0 = time.monotonic()
    marks: dict = {}
    restart_at = FAULT_DURATION / 3
    thread = threading.Thread(target=restart_postgres, args=(marks, t0, restart_at))
    thread.start()
    outcomes = asyncio.run(run_load(cookie, mix, USERS, FAULT_DURATION, t0))
    thread.join()
    failed = [o for o in outcomes if o.status != 200]
    # An export already streaming when the database went away cannot turn into a 5xx: its 200 and
    # first lines are sent. The server ends it without the final chunk, so the client knows the
    # file is incomplete (RemoteProtocolError); that is a clean failure if it comes promptly.
    cut = [o for o in failed if o.kind == "export" and o.error == "RemoteProtocolError" and o.seconds <= HANG]
    hangs = [o for o in failed if o not in cut and (o.seconds > HANG or o.status == 0)]
    # Recovered: every request started 5 s after the restart finished succeeded.
    after = [o for o in outcomes if o.started > marks["restart_finished"] + 5]
    report.fault = {
        "seconds": FAULT_DURATION,
        "restart_started_s": round(marks["restart_started"], 2),
        "restart_finished_s": round(marks["restart_finished"], 2),
        "requests": len(outcomes),
        "failed": len(failed),
        "failed_statuses": sorted({o.status for o in failed}),
        "failed_max_ms": round(max((o.seconds for o in failed), default=0) * 1000),
        "last_failure_s": round(max((o.started for o in failed), default=0), 2),
        "exports_cut_short": len(cut),
        "hangs_or_connection_errors": len(hangs),
        "hang_samples": [asdict(o) for o in hangs][:10],
        "requests_after_recovery": len(after),
        "errors_after_recovery": sum(o.status != 200 for o in after),
    }
    if hangs:
        report.failures.append(f"{len(hangs)} requests hung or lost their connection during the restart")
    if not after or any(o.status != 200 for o in after):
        report.failures.append("the app did not recover by itself after the database restart")
    if any(0 < o.status < 500 for o in failed):
        report.failures.append("a request during the restart failed with something other than a 5xx")


async def drop_exports(cookie: str, path: str, server: Server, report: Report) -> None:
    """Start big exports, read a little of each, then hang up; the server must stay healthy."""
    workers_before = sorted(server.workers())
    drops = 5
    async with client(cookie, drops) as http:
        http.timeout = httpx.Timeout(120.0)  # an unfiltered export may take a while to start

        async def drop() -> int:
            async with http.stream("GET", path) as response:
                got = 0
                async for chunk in response.aiter_bytes():
                    got += len(chunk)
                    if got > 256 * 1024:
                        break  # leaving the block closes the connection mid-stream
                return got

        received = await asyncio.gather(*(drop() for _ in range(drops)))
    await asyncio.sleep(3)
    async with client(cookie, 5) as http:
        checks = [await one_request(http, "after-drop", "/concerns/", 0) for _ in range(5)]
    report.dropped_exports = {
        "export_url": path,
        "dropped": drops,
        "bytes_read_each": min(received),
        "workers_before": len(workers_before),
        "workers_after": len(server.workers()),
        "worker_pids_unchanged": workers_before == sorted(server.workers()),
        "pages_after_ok": sum(o.status == 200 for o in checks),
        "pages_after_p95_ms": round(max(o.seconds for o in checks) * 1000),
    }
    if any(o.status != 200 for o in checks) or not report.dropped_exports["worker_pids_unchanged"]:
        report.failures.append("the server was not healthy after clients dropped exports mid-stream")


def active_backends() -> int:
    """Queries still running in the test database, other than this one."""
    from django.db import connection

    connection.close()  # the restart phase may have left this process's connection dead
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state = 'active' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def main() -> int:
    if not DATABASE_URL.startswith("postgres"):
        print("Set LOADTEST_DATABASE_URL (or DATABASE_URL) to a PostgreSQL database.", file=sys.stderr)
        return 2
    setup_django()
    manage("migrate", "--noinput", "-v0")
    report = Report(size=prepare_data())
    cookie = session_cookie()
    mix, export_path = request_mix()
    print(f"Register: {report.size}; {USERS} users, think {THINK} s; export: {export_path or 'none'}", flush=True)
    server = Server()
    server.start()
    try:
        run_phases(cookie, mix, export_path, server, report)
    finally:
        server.stop()
        RESULTS.write_text(json.dumps(asdict(report), indent=2, default=str))
    print(json.dumps(asdict(report), indent=2, default=str))
    print("FAILED: " + "; ".join(report.failures) if report.failures else "OK: all load and fault checks passed")
    return 1 if report.failures else 0


def run_phases(cookie: str, mix, export_path: str | None, server: Server, report: Report) -> None:
    print(f"Steady load for {DURATION:.0f} s ...", flush=True)
    outcomes = asyncio.run(run_load(cookie, mix, USERS, DURATION, time.monotonic()))
    report.steady = {"users": USERS, "think_s": THINK, "seconds": DURATION, **summarise(outcomes, DURATION)}
    if report.steady["errors"]:
        report.failures.append(f"{report.steady['errors']} errors under steady load")
    if FAULT_DURATION:
        print(f"Database restart under load ({FAULT_DURATION:.0f} s, cluster {CLUSTER}) ...", flush=True)
        fault_phase(cookie, mix, report)
    drop_path = export_path or ("/map/data.json" if any(k == "map-data" for k, _w, _m in mix) else None)
    if drop_path:
        print(f"Dropping {drop_path} mid-stream ...", flush=True)
        asyncio.run(drop_exports(cookie, drop_path, server, report))
        report.dropped_exports["queries_still_running_3s_later"] = active_backends()


if __name__ == "__main__":
    sys.exit(main())
