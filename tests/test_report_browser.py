"""The HTML report in a real browser (Debian's headless Chromium driven by Playwright): no
console errors or CSP violations, every image loads, sorting works, and a screenshot is saved as
a test artifact (``build/test-artifacts/``, or ``$FORECAST_ARTIFACTS``).

``.ci/run`` installs Chromium and sets ``FORECAST_REQUIRE_BROWSER=1``, so there a missing browser
fails instead of skipping."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from forecast.cli import main

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("FORECAST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _artifacts() -> Path:
    path = Path(os.environ.get("FORECAST_ARTIFACTS", ROOT / "build" / "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    required = os.environ.get("FORECAST_REQUIRE_BROWSER") == "1"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if required:
            raise
        pytest.skip("playwright is not installed")
    if not Path(CHROMIUM).exists():
        if required:
            pytest.fail(f"Chromium not found at {CHROMIUM}")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    scenario = ROOT / "scenarios" / "global-ai-2030-uncertain.toml"
    assert main(["run", str(scenario), "--out", str(out)]) == 0
    return out / "global-ai-2030-uncertain"


def _open(browser: Any, html: Path) -> tuple[Any, list[str], list[str]]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    console: list[str] = []
    failed: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on(
        "request",
        lambda r: (
            failed.append(f"network request: {r.url}")
            if not r.url.startswith(("file:", "data:"))
            else None
        ),
    )
    page.goto(html.as_uri())
    page.wait_for_load_state("load")
    return page, console, failed


def test_report_loads_cleanly_with_all_images(browser: Any, report_dir: Path) -> None:
    page, console, failed = _open(browser, report_dir / "report.html")
    assert [m for m in console if m.startswith(("error", "pageerror", "warning"))] == []
    assert failed == []
    images = page.eval_on_selector_all(
        "img", "imgs => imgs.map(i => [i.complete, i.naturalWidth, i.alt])"
    )
    assert len(images) >= 5, images  # fan, estimates, segments, shares, distribution, ...
    assert all(done and width > 100 for done, width, _ in images), images
    headings = page.eval_on_selector_all("h2", "hs => hs.map(h => h.textContent)")
    assert headings[:2] == ["Headline", "Assumptions and sources"]
    assert headings[-1] == "Provenance"
    page.screenshot(path=str(_artifacts() / "report-uncertain.png"), full_page=True)
    # the one-page summary opens the report, above the first heading, within about a screen
    summary = page.locator("#summary")
    box = summary.bounding_box()
    first = page.locator("h2").first.bounding_box()
    assert box is not None and first is not None and box["y"] + box["height"] <= first["y"]
    assert box["height"] < 1100, box
    assert summary.locator("table.keyyears tbody tr").count() == 5
    summary.screenshot(path=str(_artifacts() / "report-summary.png"))
    page.close()


def test_tables_sort_in_the_browser(browser: Any, report_dir: Path) -> None:
    page, console, _ = _open(browser, report_dir / "report.html")
    table = page.locator("section#projection table").first
    col = page.evaluate(
        """() => Array.from(document.querySelectorAll('section#projection thead th'))
              .findIndex(th => th.textContent.trim() === 'mean')"""
    )
    assert col > 0

    def column() -> list[float]:
        return [
            float(v)
            for v in table.locator(f"tbody tr td:nth-child({col + 1})").evaluate_all(
                "tds => tds.map(td => td.getAttribute('data-sort'))"
            )
        ]

    before = column()
    assert before == sorted(before)  # years ascending, a growing market
    header = table.locator("thead th").nth(col)
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    assert column() == sorted(before)
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "descending"
    assert column() == sorted(before, reverse=True)
    # a text column sorts too
    pub = page.locator("table", has_text="Published").first
    if pub.count():
        pub.locator("thead th").first.locator("button").click()
        names = pub.locator("tbody tr td:nth-child(1)").all_text_contents()
        assert names == sorted(names, key=str.lower) or names == sorted(names)
    assert [m for m in console if m.startswith(("error", "pageerror"))] == []
    page.close()


def test_hostile_scenario_text_renders_as_text(browser: Any, tmp_path: Path) -> None:
    scen = tmp_path / "evil.toml"
    base = (ROOT / "scenarios" / "global-ai-2030.toml").as_posix()
    scen.write_text(
        f'extends = "{base}"\n'
        'name = "evil"\n'
        'title = "<script>alert(1)</script><img src=x onerror=alert(2)>"\n'
        'description = "<b>bold?</b> javascript:alert(3)"\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert main(["run", str(scen), "--out", str(out)]) == 0
    page, console, failed = _open(browser, out / "evil" / "report.html")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    assert page.locator("h1").text_content() == (
        "<script>alert(1)</script><img src=x onerror=alert(2)>"
    )
    assert dialogs == [] and failed == []
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert [m for m in console if m.startswith(("error", "pageerror"))] == []
    page.close()
