"""Benchmark of the site map at scale, in headless Chromium, against per-marker folium.

    make bench-map                 # 50,000 sites
    SITES=5000 make bench-map      # a quicker look

It fills a throw-away SQLite database with generated sites (about a fifth of them with open
concerns, a tenth with district or region precision), serves the project with gunicorn on a
free loopback port, and loads in fresh browser contexts (nothing cached):

- our map: /map/ — folium's map cut into page, script URL and the JSON data endpoint;
- the baseline: the usual folium recipe, one ``folium.Marker`` with popup and tooltip per
  site inside a ``MarkerCluster``, its assets switched to the same local static files.

For each it reports the bytes transferred (HTML and data apart from the static assets, which
both share), the time until the first cluster icon is in the page, and how long the server
side takes to produce the HTML and data. Targets: first cluster < 3 s, HTML + data < 3 MB,
first cluster >= 10 x sooner than the baseline. Results also go to bench-results/map.json.
"""

import argparse
import datetime
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"

# Records the moment (ms after navigation start) the first cluster icon enters the page.
FIRST_CLUSTER_PROBE = """
new MutationObserver((mutations, observer) => {
    if (document.querySelector(".marker-cluster")) {
        window.__firstCluster = performance.now();
        observer.disconnect();
    }
}).observe(document, {childList: true, subtree: true});
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def setup_django(database: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["RISKREG_TILE_URL"] = ""  # offline: nothing but our own server is measured
    os.environ["DJANGO_SETTINGS_MODULE"] = "riskreg.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def generate(sites: int, seed: int = 7) -> None:
    """Seeds plus ``sites`` generated sites spread over Kyrgyzstan, with concerns on some."""
    from django.core.management import call_command

    from riskreg.models import Concern, District, Enterprise, Level, Region, Sector, Site
    from riskreg.seeds import load_seeds

    call_command("migrate", verbosity=0)
    load_seeds()
    rng = random.Random(seed)
    regions = [Region.objects.get_or_create(country="KG", name=f"Bench region {n}")[0] for n in range(7)]
    districts = District.objects.bulk_create(
        District(region=regions[n % len(regions)], name=f"Bench district {n}") for n in range(40)
    )
    enterprises = Enterprise.objects.bulk_create(
        Enterprise(
            name=f"Bench enterprise {n}",
            origin_country=rng.choice(["CN", "RU", "KZ", "TR", "DE"]),
            sector=rng.choice(Sector.values),
        )
        for n in range(max(1, sites // 25))
    )
    precisions = ["exact"] * 6 + ["locality"] * 3 + ["district", "region"]
    created = Site.objects.bulk_create(
        (
            Site(
                enterprise=rng.choice(enterprises),
                name=f"Bench site {n}",
                kind=rng.choice(Site.Kind.values),
                district=rng.choice(districts),
                locality=f"Village {n % 997}",
                latitude=round(rng.uniform(39.3, 43.2), 6),
                longitude=round(rng.uniform(69.4, 80.2), 6),
                precision=rng.choice(precisions),
            )
            for n in range(sites)
        ),
        batch_size=2000,
    )
    today = datetime.date(2026, 1, 1)
    concerns = []
    for site in rng.sample(created, len(created) // 5):
        for _ in range(rng.randint(1, 3)):
            likelihood, impact = rng.randint(1, 5), rng.randint(1, 5)
            level = Level.from_score(likelihood, impact)
            concerns.append(
                Concern(
                    title=f"Concern at {site.name}",
                    enterprise_id=site.enterprise_id,
                    site=site,
                    country="KG",
                    origin_country="CN",
                    category="property",
                    raised_on=today,
                    likelihood=likelihood,
                    impact=impact,
                    level=level,
                    next_review=today + level.review_interval,
                )
            )
    Concern.objects.bulk_create(concerns, batch_size=2000)


def per_marker_folium(base_url: str) -> tuple[str, float]:
    """The usual recipe: one folium Marker (popup, tooltip) per site in a MarkerCluster."""
    import folium
    from django.utils.html import escape
    from folium.plugins import MarkerCluster

    from riskreg.models import Site

    started = time.perf_counter()
    static = f"{base_url}/static/vendor"
    site_map = folium.Map(location=(41.5, 74.5), zoom_start=6, tiles=None)
    site_map.options["maxZoom"] = 18
    site_map.default_js = [
        ("leaflet", f"{static}/leaflet/leaflet.js"),
        ("jquery", f"{static}/jquery/jquery.min.js"),  # folium's popups use $
    ]
    site_map.default_css = [("leaflet_css", f"{static}/leaflet/leaflet.css")]
    cluster = MarkerCluster()
    cluster.default_js = [("markerclusterjs", f"{static}/leaflet-markercluster/leaflet.markercluster.js")]
    cluster.default_css = [
        ("markerclustercss", f"{static}/leaflet-markercluster/MarkerCluster.css"),
        ("markerclusterdefaultcss", f"{static}/leaflet-markercluster/MarkerCluster.Default.css"),
    ]
    cluster.add_to(site_map)
    rows = Site.objects.exclude(latitude=None).values_list(
        "latitude", "longitude", "name", "enterprise__name", "locality", "district__name"
    )
    for lat, lng, name, enterprise, locality, district in rows:
        popup = f"<b>{escape(name)}</b><br>{escape(enterprise)}<br>{escape(locality)}, {escape(district)}"
        folium.Marker((float(lat), float(lng)), popup=folium.Popup(popup), tooltip=escape(name)).add_to(cluster)
    html = site_map.get_root().render()
    return html, time.perf_counter() - started


def load(browser, base_url: str, storage: dict | None, path: str, html: str | None = None) -> dict:
    """Open ``path`` in a fresh context; bytes by kind of response and the first-cluster time."""
    context = browser.new_context(base_url=base_url, storage_state=storage, viewport={"width": 1280, "height": 900})
    context.add_init_script(FIRST_CLUSTER_PROBE)
    page = context.new_page()
    transferred = {"html": 0, "data": 0, "static": 0}
    if html is not None:
        body = html.encode()
        transferred["html"] = len(body)
        page.route(f"{base_url}{path}", lambda route: route.fulfill(body=body, content_type="text/html"))

    def count(request):
        if request.url == f"{base_url}{path}" and html is not None:
            return
        sizes = request.sizes()
        size = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        kind = "html" if request.resource_type == "document" else "data" if "data.json" in request.url else "static"
        transferred[kind] += size

    page.on("requestfinished", count)
    page.goto(path, timeout=300_000)
    page.wait_for_function("window.__firstCluster !== undefined", timeout=300_000, polling=50)
    first_cluster = page.evaluate("window.__firstCluster") / 1000
    page.wait_for_load_state("networkidle")
    context.close()
    return {"first_cluster_s": round(first_cluster, 3), **transferred}


def server_seconds(url: str, cookie: str, repeat: int = 3) -> float:
    """Median wall time for the server to answer a GET, with gzip as a browser would ask."""
    times = []
    for _ in range(repeat):
        request = urllib.request.Request(url, headers={"Cookie": cookie, "Accept-Encoding": "gzip"})  # noqa: S310
        started = time.perf_counter()
        with urllib.request.urlopen(request) as response:  # noqa: S310 - our own loopback server
            response.read()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sites", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3, help="page loads of our map (the median is reported)")
    parser.add_argument("--keep", action="store_true", help="keep the generated database")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-map-"))
    setup_django(workdir / "bench.sqlite3")
    print(f"Generating {args.sites:,} sites in {workdir} ...", flush=True)
    generate(args.sites)
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("bench", password="pw-bench-123")

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    # gunicorn as in production (two workers, so static files and data are served in
    # parallel); DEBUG stays on so that WhiteNoise serves static files without collectstatic.
    server = subprocess.Popen(  # noqa: S603 - gunicorn from requirements, same interpreter
        [sys.executable, "-m", "gunicorn", "riskreg.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2", "--threads", "2"],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        # Built before the browser starts: Playwright's event loop forbids database calls.
        print("Building the per-marker folium map ...", flush=True)
        html, baseline_build = per_marker_folium(base_url)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            context = browser.new_context(base_url=base_url)
            page = context.new_page()
            page.goto("/accounts/login/")
            page.fill("input[name=username]", "bench")
            page.fill("input[name=password]", "pw-bench-123")
            page.click("button[type=submit]")
            page.wait_for_load_state()
            storage = context.storage_state()
            cookie = "; ".join(f"{c['name']}={c['value']}" for c in storage["cookies"])
            context.close()

            ours_server = server_seconds(f"{base_url}/map/", cookie) + server_seconds(
                f"{base_url}/map/data.json", cookie
            )
            ours = [load(browser, base_url, storage, "/map/") for _ in range(args.runs)]
            print("our map:", ours, flush=True)

            baseline = load(browser, base_url, None, "/bench/per-marker-folium.html", html=html)
            print("per-marker folium:", baseline, flush=True)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        if not args.keep:
            shutil.rmtree(workdir)

    median = {key: statistics.median(run[key] for run in ours) for key in ours[0]}
    result = {
        "sites": args.sites,
        "ours": {**median, "server_s": round(ours_server, 3), "runs": ours},
        "per_marker_folium": {**baseline, "server_s": round(baseline_build, 3)},
    }
    result["ratio_first_cluster"] = round(baseline["first_cluster_s"] / median["first_cluster_s"], 1)
    result["ratio_bytes"] = round((baseline["html"] + baseline["data"]) / (median["html"] + median["data"]), 1)
    result["ratio_server"] = round(baseline_build / ours_server, 1)
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "map.json").write_text(json.dumps(result, indent=2))

    def mb(n: float) -> str:
        return f"{n / 1e6:.2f} MB"

    ours_bytes = median["html"] + median["data"]
    base_bytes = baseline["html"] + baseline["data"]
    print(f"\nSite map at {args.sites:,} sites (median of {args.runs} loads; static assets apart)\n")
    print("| | our map | per-marker folium | ratio |")
    print("|---|---|---|---|")
    print(
        f"| first cluster | {median['first_cluster_s']:.2f} s | {baseline['first_cluster_s']:.2f} s "
        f"| {result['ratio_first_cluster']}× |"
    )
    print(f"| HTML + data | {mb(ours_bytes)} | {mb(base_bytes)} | {result['ratio_bytes']}× |")
    print(f"| static assets | {mb(median['static'])} | {mb(baseline['static'])} | |")
    print(f"| server: build page + data | {ours_server:.2f} s | {baseline_build:.2f} s | {result['ratio_server']}× |")
    targets = {
        "first cluster < 3 s": median["first_cluster_s"] < 3,
        "HTML + data < 3 MB": ours_bytes < 3e6,
        ">= 10x sooner first cluster than per-marker folium": result["ratio_first_cluster"] >= 10,
    }
    print()
    for target, met in targets.items():
        print(f"{'met' if met else 'MISSED'}: {target}")


if __name__ == "__main__":
    main()
