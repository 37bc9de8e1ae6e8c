"""Each report opens in a real browser (headless Chromium) with no broken image.

The page is loaded from disk with networking off, as a reader opening a mailed
file would. A copy with a tiny script tells whether every image decoded; the
original is screenshot, and the screenshot kept in ``reports/screenshots/`` for
a person to look at. Skipped, saying why, where Debian's ``chromium`` is not
installed (``make test`` installs it where it can).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from report_fixtures import compare_inputs, sweep_points, tiny_run
from report_runs import brand_optimize, switch_compare

from sim.report.compare_report import write_compare_report
from sim.report.experiment_report import write_experiment_report
from sim.report.run_report import write_run_report
from sim.report.sweep_report import write_sweep_report

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "reports" / "screenshots"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="/usr/bin/chromium is not installed, so the report is not rendered in a browser "
    "(install it with `apt-get install chromium`, or run `make test` as root)",
)

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--mute-audio"]

# Added to a copy of the page: on load, count the images that did not decode.
PROBE = """<script>
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var broken = images
    .filter(function (i) { return !(i.complete && i.naturalWidth > 0); })
    .map(function (i) { return i.getAttribute("data-file") || i.src.slice(0, 40); });
  document.body.setAttribute("data-images-loaded", (images.length - broken.length) + "/" +
                             images.length);
  document.body.setAttribute("data-images-broken", broken.join(" "));
});
</script>"""


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("reports")
    data = compare_inputs()
    points = sweep_points(2)
    return {
        "run": write_run_report(tiny_run(), root / "run"),
        "compare": write_compare_report(
            data["per_replication"], data["differences"], data["timeseries"], root / "compare",
            horizon_days=365.0, won_deals=data["won_deals"],
            first_responses=data["first_responses"]),
        "sweep": write_sweep_report(points, list(points.columns[:2]), root / "sweep",
                                    replications=10),
    }


def image_status(page: Path, profile: Path) -> tuple[int, int, str]:
    """Load a copy of ``page`` with the probe: (images decoded, images, broken ones)."""
    probe = page.with_name("probe.html")
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"),
                     encoding="utf-8")
    try:
        result = chromium(profile, "--virtual-time-budget=10000", "--dump-dom", probe.as_uri())
    finally:
        probe.unlink()
    assert result.returncode == 0, result.stderr[-2000:]
    loaded = re.search(r'data-images-loaded="(\d+)/(\d+)"', result.stdout)
    assert loaded, f"the page did not finish loading: {result.stdout[:300]!r}"
    broken = re.search(r'data-images-broken="([^"]*)"', result.stdout)
    return int(loaded.group(1)), int(loaded.group(2)), broken.group(1) if broken else ""


@pytest.mark.parametrize("kind", ["run", "compare", "sweep"])
def test_report_loads_in_chromium_with_no_broken_image(
        reports: dict[str, Path], kind: str, tmp_path: Path) -> None:
    loaded, total, broken = image_status(reports[kind], tmp_path / "profile")
    assert broken == "", f"broken images: {broken}"
    assert loaded == total > 0


def test_the_probe_sees_a_broken_image(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text('<!DOCTYPE html><html><body><img src="data:image/png;base64,AAAA" '
                    'data-file="figures/bad.png"></body></html>', encoding="utf-8")
    assert image_status(page, tmp_path / "profile") == (0, 1, "figures/bad.png")


@pytest.mark.parametrize("kind", ["run", "compare", "sweep"])
def test_report_screenshot(reports: dict[str, Path], kind: str, tmp_path: Path) -> None:
    shot = tmp_path / f"{kind}-report.png"
    result = chromium(tmp_path / "profile", "--window-size=1280,4000",
                      f"--screenshot={shot}", reports[kind].as_uri())
    assert result.returncode == 0 and shot.is_file(), result.stderr[-2000:]
    from PIL import Image  # matplotlib's own dependency

    with Image.open(shot) as image:
        assert image.size == (1280, 4000)
        grey = image.convert("L").resize((64, 200))
        lo, hi = grey.getextrema()
        assert hi - lo > 100, "a blank page"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, SCREENSHOTS / shot.name)


# --- the views added for the people in the room: one screenshot each -------------------------


@pytest.fixture(scope="module")
def experiment_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("experiments")
    result, details = switch_compare()
    return {
        "compare": write_experiment_report(result, root / "compare",
                                           {"overrides": ["sales.reps=6"]}, details),
        "optimize": write_experiment_report(brand_optimize(), root / "optimize"),
        "run": write_run_report(tiny_run(record_leads=True), root / "run"),
    }


def one_section(report: Path, anchor: str) -> Path:
    """A copy of the page with its header and one section only, to screenshot that view."""
    text = report.read_text(encoding="utf-8")
    found = re.search(rf'<section id="{anchor}">.*?</section>', text, re.DOTALL)
    assert found, f"no section {anchor!r} in {report}"
    head = text.partition("</header>")[0]
    page = report.with_name(f"view-{anchor}.html")
    page.write_text(head + "</header>\n" + found.group(0) + "\n</main></body></html>\n",
                    encoding="utf-8")
    return page


VIEWS = [("compare", "summary", "compare-decision"), ("compare", "time", "compare-over-time"),
         ("compare", "segments", "compare-segments"),
         ("compare", "differences", "compare-differences"),
         ("optimize", "summary", "optimize-decision"), ("optimize", "response", "optimize-search"),
         ("run", "time", "run-quarterly-pnl"), ("run", "segments", "run-segments")]


@pytest.mark.parametrize(("kind", "anchor", "shot"), VIEWS, ids=[v[2] for v in VIEWS])
def test_new_view_screenshot(experiment_reports: dict[str, Path], kind: str, anchor: str,
                             shot: str, tmp_path: Path) -> None:
    page = one_section(experiment_reports[kind], anchor)
    loaded, total, broken = image_status(page, tmp_path / "probe")
    assert broken == "" and loaded == total
    png = tmp_path / f"{shot}.png"
    result = chromium(tmp_path / "profile", "--window-size=1280,3200",
                      f"--screenshot={png}", page.as_uri())
    assert result.returncode == 0 and png.is_file(), result.stderr[-2000:]
    from PIL import Image

    with Image.open(png) as image:
        grey = image.convert("L").resize((64, 160))
        lo, hi = grey.getextrema()
        assert hi - lo > 100, "a blank page"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(png, SCREENSHOTS / png.name)
