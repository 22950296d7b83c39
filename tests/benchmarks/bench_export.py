"""`make bench`: the CSV export and the list pages at a million concerns, measured in one run.

For each database (SQLite always; PostgreSQL when reachable) it builds a register of
BENCH_CONCERNS concerns with generate_demo_data (cached under bench-results/), serves the app
with gunicorn and DEBUG off on a loopback port, and measures over HTTP:

- the export of /concerns/?_export=csv against the database's own command-line tool writing the
  same joined columns as CSV (sqlite3 -csv; psql \\copy … csv), as a ratio of rows per second,
  and against django-tables2's default TableExport on 100k rows;
- the serving process's peak RSS (VmHWM) and the time to the export's first byte;
- list-page latency (median, p95) over a fixed mix of filters, sorts, searches and deep pages.

Baselines run in the same run as what they are compared with; each timed pair runs twice and
the better of each is kept, so that another process's burst of work does not decide a ratio.
"""

import http.client
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench-results"
PYTHON = sys.executable
PORT = int(os.environ.get("BENCH_PORT", "8102"))
CONCERNS = int(os.environ.get("BENCH_CONCERNS", "1000000"))
TABLEEXPORT_ROWS = int(os.environ.get("BENCH_TABLEEXPORT_ROWS", "100000"))
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/riskreg_bench")
GENERATE = [
    *("--concerns", str(CONCERNS), "--enterprises", str(max(20, CONCERNS // 50))),
    *("--sites", str(max(50, CONCERNS // 20)), "--seed", "1", "--today", "2026-11-01"),
]
SERVER_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "bench-only-not-a-secret",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    "DJANGO_SETTINGS_MODULE": "tests.benchmarks.bench_settings",
}
GUNICORN_ARGS = ["--bind", f"127.0.0.1:{PORT}", "--workers", "1", "--timeout", "900", "--log-level", "warning"]
# The columns of the concern export, joined the same way, for the command-line baselines.
BASELINE_SQL = (
    "SELECT c.id, c.title, e.name, s.name, c.country, c.origin_country, c.category, c.raised_on, "
    "c.likelihood, c.impact, c.level, c.status, c.next_review FROM riskreg_concern c "
    "LEFT JOIN riskreg_enterprise e ON e.id = c.enterprise_id LEFT JOIN riskreg_site s ON s.id = c.site_id "
    "ORDER BY c.raised_on DESC, c.id DESC"
)
# A fixed mix of what desks do: filters, sorts, searches, and first, middle and deep pages.
LIST_MIX = [
    "/concerns/",
    "/concerns/?page=2",
    "/concerns/?page=400",
    "/concerns/?page=20000",
    "/concerns/?page=39000",
    "/concerns/?per_page=100&page=3",
    "/concerns/?sort=title",
    "/concerns/?sort=-title&page=1000",
    "/concerns/?sort=level",
    "/concerns/?sort=-level&page=2000",
    "/concerns/?sort=status",
    "/concerns/?sort=-next_review",
    "/concerns/?sort=raised_on&page=5000",
    "/concerns/?status=open",
    "/concerns/?status=open&status=monitoring&sort=-raised_on",
    "/concerns/?level=4",
    "/concerns/?level=4&status=open&page=300",
    "/concerns/?country=KZ",
    "/concerns/?origin_country=CN&page=50",
    "/concerns/?category=unrest",
    "/concerns/?overdue=true",
    "/concerns/?raised_after=2025-01-01&raised_before=2025-06-30",
    "/concerns/?likelihood=5&impact=5",
    "/concerns/?region=1",
    "/concerns/?enterprise=1",
    "/concerns/?owner=1&sort=-raised_on",
    "/concerns/?q=blockade",
    "/concerns/?q=tian+shan+gold",
    "/concerns/?q=no-such-words",
    "/sites/",
    "/sites/?page=1500",
    "/sites/?q=mine",
    "/sites/?level=4",
    "/sites/?origin_country=CN&sort=name",
    "/sites/?region=1&kind=mine",
    "/enterprises/",
    "/enterprises/?page=700",
    "/enterprises/?q=gold",
    "/enterprises/?sector=mining&sort=name",
    "/measures/",
    "/measures/?status=done&page=100",
    "/measures/?q=round+table",
    "/engagements/",
    "/engagements/?kind=meeting&page=50",
    "/engagements/?q=embassy",
]
LIST_ROUNDS = 3
# BENCH_LISTS_ONLY=1: the list-page latencies alone, without the exports (a few minutes less).
LISTS_ONLY = os.environ.get("BENCH_LISTS_ONLY", "0") == "1"
TARGETS = {"export_vs_cli": 0.5, "rss_mb": 150, "ttfb_s": 1.0, "median_ms": 100, "p95_ms": 300}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def manage(url: str, *args: str, env: dict[str, str] | None = None, capture: bool = False) -> str:
    result = subprocess.run(  # noqa: S603 -- fixed commands of this script
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, **(env or {})},
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return result.stdout or ""


# --- Databases -------------------------------------------------------------------------------


def sqlite_database() -> tuple[str, Path]:
    path = RESULTS / f"bench-{CONCERNS}.sqlite3"
    marker = path.with_suffix(".args")
    url = f"sqlite:///{path}"
    if path.exists() and marker.exists() and marker.read_text() == json.dumps(GENERATE):
        log(f"using the cached SQLite register {path}")
        manage(url, "migrate", "--noinput", "-v0")  # indexes added since it was built
        with sqlite3.connect(path) as conn:
            conn.execute("ANALYZE")  # statistics for those indexes too, as after a fresh build
        return url, path
    building = path.with_suffix(".building")
    building.unlink(missing_ok=True)
    log(f"building a SQLite register of {CONCERNS} concerns in {path} (cached for later runs)")
    manage(f"sqlite:///{building}", "migrate", "--noinput", "-v0")
    manage(f"sqlite:///{building}", "generate_demo_data", *GENERATE)
    building.rename(path)
    marker.write_text(json.dumps(GENERATE))
    return url, path


def postgres_database() -> str | None:
    try:
        import psycopg
    except ImportError:
        return None
    name = PG_URL.rsplit("/", 1)[1]
    admin_url = PG_URL.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(admin_url, connect_timeout=3, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            marker = RESULTS / f"{name}.args"
            if exists and marker.exists() and marker.read_text() == json.dumps(GENERATE):
                log(f"using the cached PostgreSQL register {name}")
                manage(PG_URL, "migrate", "--noinput", "-v0")
                return PG_URL
            log(f"building a PostgreSQL register of {CONCERNS} concerns in {name} (cached for later runs)")
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        log(f"PostgreSQL not reachable ({exc}); SQLite only")
        return None
    manage(PG_URL, "migrate", "--noinput", "-v0")
    manage(PG_URL, "generate_demo_data", *GENERATE)
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    (RESULTS / f"{name}.args").write_text(json.dumps(GENERATE))
    return PG_URL


def session_for_bench_user(url: str) -> str:
    """A logged-in session for a superuser, made directly in the database (no password needed)."""
    code = (
        "from django.contrib.auth import get_user_model, SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY\n"
        "from django.contrib.sessions.backends.db import SessionStore\n"
        "u, _ = get_user_model().objects.get_or_create(username='bench')\n"
        "u.is_superuser = u.is_staff = True\n"
        "u.set_unusable_password()\n"
        "u.save()\n"
        "s = SessionStore()\n"
        "s[SESSION_KEY] = str(u.pk)\n"
        "s[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend'\n"
        "s[HASH_SESSION_KEY] = u.get_session_auth_hash()\n"
        "s.create()\n"
        "print('SESSION', s.session_key)\n"
    )
    out = manage(url, "shell", "-v0", "-c", code, env=SERVER_ENV, capture=True)
    return next(line.split()[1] for line in out.splitlines() if line.startswith("SESSION"))


# --- Server and client -------------------------------------------------------------------------


class Server:
    def __init__(self, url: str) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [str(Path(PYTHON).with_name("gunicorn")), "riskreg.wsgi:application", *GUNICORN_ARGS],
            cwd=ROOT,
            env={**os.environ, **SERVER_ENV, "DATABASE_URL": url},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                request("/accounts/login/")
                break
            except OSError:
                time.sleep(0.3)
        else:
            self.stop()
            raise RuntimeError("gunicorn did not start")

    @property
    def worker_pid(self) -> int:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return int(children[0])

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.worker_pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmHWM")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def request(path: str, session: str = "") -> dict:
    """GET over HTTP; times to the first body byte and to the end; counts bytes and lines."""
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=900)
    started = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": f"sessionid={session}"} if session else {})
    response = conn.getresponse()
    first = None
    size = lines = 0
    while chunk := response.read1(1 << 20):
        if first is None:
            first = time.perf_counter() - started
        size += len(chunk)
        lines += chunk.count(b"\n")
    total = time.perf_counter() - started
    conn.close()
    return {"status": response.status, "first": first or total, "total": total, "bytes": size, "lines": lines}


# --- Measurements ------------------------------------------------------------------------------


def cli_export(vendor: str, url: str, db_path: Path | None) -> dict:
    started = time.perf_counter()
    if vendor == "sqlite":
        script = f".headers on\n.mode csv\n{BASELINE_SQL};\n"
        tool_args = ["sqlite3", str(db_path)]
        subprocess.run(tool_args, input=script.encode(), stdout=subprocess.DEVNULL, check=True)  # noqa: S603
        tool = "sqlite3 -csv"
    else:
        command = f"\\copy ({BASELINE_SQL}) TO STDOUT WITH CSV HEADER"
        tool_args = ["psql", url, "-qc", command]
        subprocess.run(tool_args, stdout=subprocess.DEVNULL, check=True)  # noqa: S603
        tool = "psql \\copy csv"
    return {"seconds": time.perf_counter() - started, "tool": tool}


def http_export(session: str) -> dict:
    result = request("/concerns/?_export=csv", session)
    assert result["status"] == 200, result
    result["rows"] = result["lines"] - 1
    return result


TABLEEXPORT_CODE = """
import json, sys, time
from django_tables2.export import TableExport
from riskreg.models import Concern
from riskreg.tables import ConcernTable
rows = int(sys.argv[1])
started = time.perf_counter()
table = ConcernTable(Concern.objects.select_related("enterprise", "site")[:rows])
data = TableExport("csv", table).export()
print("RESULT", json.dumps({"rows": data.count("\\n") - 1, "seconds": time.perf_counter() - started}))
"""


def tableexport(url: str) -> dict:
    out = subprocess.run(  # noqa: S603
        [PYTHON, "-c", "import django, sys; django.setup(); exec(sys.stdin.read())", str(TABLEEXPORT_ROWS)],
        input=TABLEEXPORT_CODE,
        cwd=ROOT,
        env={**os.environ, **SERVER_ENV, "DATABASE_URL": url},
        text=True,
        capture_output=True,
        check=True,
    ).stdout
    return json.loads(next(line for line in out.splitlines() if line.startswith("RESULT"))[7:])


def list_latencies(session: str) -> dict[str, list[float]]:
    for path in LIST_MIX:  # warm-up: the first request of each kind fills caches
        assert request(path, session)["status"] == 200, path
    times: dict[str, list[float]] = {path: [] for path in LIST_MIX}
    for _ in range(LIST_ROUNDS):
        for path in LIST_MIX:
            times[path].append(request(path, session)["total"] * 1000)
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def bench(vendor: str, url: str, db_path: Path | None) -> dict:
    session = session_for_bench_user(url)
    server = Server(url)
    try:
        request("/concerns/", session)
        rss_before = server.peak_rss_mb()
        if LISTS_ONLY:
            log(f"[{vendor}] list pages: {len(LIST_MIX)} URLs x {LIST_ROUNDS} rounds")
            return {"vendor": vendor, "latencies": list_latencies(session)}
        pairs = []
        for _ in range(2):
            log(f"[{vendor}] export over HTTP and {vendor} command-line baseline")
            pairs.append((http_export(session), cli_export(vendor, url, db_path)))
        rss_export = server.peak_rss_mb()
        log(f"[{vendor}] list pages: {len(LIST_MIX)} URLs x {LIST_ROUNDS} rounds")
        latencies = list_latencies(session)
        rss_end = server.peak_rss_mb()
    finally:
        server.stop()
    exported = min((p[0] for p in pairs), key=lambda r: r["total"])
    cli = min((p[1] for p in pairs), key=lambda r: r["seconds"])
    rows = exported["rows"]
    result = {
        "vendor": vendor,
        "rows": rows,
        "export_s": exported["total"],
        "export_mb": exported["bytes"] / 1e6,
        "export_rows_s": rows / exported["total"],
        "cli_tool": cli["tool"],
        "cli_s": cli["seconds"],
        "cli_rows_s": rows / cli["seconds"],
        "ttfb_s": max(p[0]["first"] for p in pairs),
        "rss_before_mb": rss_before,
        "rss_export_mb": rss_export,
        "rss_end_mb": rss_end,
        "latencies": latencies,
    }
    if vendor == "sqlite" and TABLEEXPORT_ROWS:
        log(f"[{vendor}] django-tables2 TableExport on {TABLEEXPORT_ROWS} rows")
        result["tableexport"] = tableexport(url)
    return result


# --- Report ----------------------------------------------------------------------------------------


def report(result: dict) -> tuple[list[str], bool]:
    all_ms = [ms for values in result["latencies"].values() for ms in values]
    median, high = statistics.median(all_ms), p95(all_ms)
    exported = "export_rows_s" in result
    lines = [
        f"== {result['vendor']}: "
        + (f"{result['rows']:,} concerns exported, {result['export_mb']:.0f} MB" if exported else "list pages only"),
        f"{'measure':<44} {'value':>16} {'target':>12}  result",
    ]
    ok = True

    def row(name: str, value: str, target: str = "", passed: bool | None = None) -> None:
        nonlocal ok
        verdict = "" if passed is None else ("PASS" if passed else "FAIL")
        ok = ok and passed is not False
        lines.append(f"{name:<44} {value:>16} {target:>12}  {verdict}")

    if exported:
        report_export(result, row)
    row(f"list pages, median of {len(all_ms)} requests", f"{median:.0f} ms", "< 100 ms", median < 100)
    row("list pages, p95", f"{high:.0f} ms", "< 300 ms", high < 300)
    slowest = sorted(result["latencies"].items(), key=lambda item: -statistics.median(item[1]))[:5]
    lines.append("slowest list pages (median ms): " + ", ".join(f"{p} {statistics.median(v):.0f}" for p, v in slowest))
    return lines, ok


def report_export(result: dict, row: Callable[..., None]) -> None:
    ratio = result["export_rows_s"] / result["cli_rows_s"]
    row("export over HTTP, rows/s", f"{result['export_rows_s']:,.0f}")
    row(f"{result['cli_tool']} (same joined columns), rows/s", f"{result['cli_rows_s']:,.0f}")
    row("export / command-line tool", f"{ratio:.2f}x", f">= {TARGETS['export_vs_cli']}x", ratio >= 0.5)
    if "tableexport" in result:
        te = result["tableexport"]
        te_rate = te["rows"] / te["seconds"]
        row(f"TableExport, {te['rows']:,} rows, rows/s", f"{te_rate:,.0f}")
        row("export / TableExport", f"{result['export_rows_s'] / te_rate:.1f}x")
    row("time to first byte of the export", f"{result['ttfb_s'] * 1000:.0f} ms", "< 1000 ms", result["ttfb_s"] < 1)
    rss = result["rss_export_mb"]
    row("peak RSS of the server after the exports", f"{rss:.0f} MB", "<= 150 MB", rss <= TARGETS["rss_mb"])
    row(
        "  (before the exports / after the list pages)",
        f"{result['rss_before_mb']:.0f} / {result['rss_end_mb']:.0f} MB",
    )


def main() -> int:
    RESULTS.mkdir(exist_ok=True)
    if not shutil.which("sqlite3"):
        log("the sqlite3 command-line tool is missing (apt-get install sqlite3)")
        return 2
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    results = []
    url, path = sqlite_database()
    results.append(bench("sqlite", url, path))
    pg = postgres_database() if os.environ.get("BENCH_PG", "1") != "0" else None
    if pg and shutil.which("psql"):
        results.append(bench("postgresql", pg, None))
    out, all_ok = [f"make bench, {started}, {CONCERNS:,} concerns, {os.cpu_count()} CPUs"], True
    for result in results:
        lines, ok = report(result)
        out += ["", *lines]
        all_ok = all_ok and ok
    text = "\n".join(out)
    print(text)
    (RESULTS / "latest.txt").write_text(text + "\n")
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=1))
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
