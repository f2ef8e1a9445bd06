"""Fixtures of the dashboard tests: one small province with a ledger, the app serving it on loopback (uvicorn in
a thread), Debian's Chromium driven by Playwright, and a folder for the screenshots.

Screenshots go to a pytest temporary folder and are copied to ``$ENTAS_TEST_ARTIFACTS/web`` (default
``/tmp/entas-test-artifacts/web``), where CI and people find them after the run.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from web_world import Visit, World, build_home, seed_ledger, serve, web_app

from entas.report.pdf import CHROMIUM_ARGS, chromium_path

ARTIFACTS = Path(os.environ.get("ENTAS_TEST_ARTIFACTS") or "/tmp/entas-test-artifacts") / "web"


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    home = build_home(tmp_path_factory.mktemp("web-home"))
    return World(home=home, ledger=seed_ledger(home))


@pytest.fixture(scope="session")
def base_url(world: World) -> Iterator[str]:
    with serve(web_app(world.home)) as url:
        yield url


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Screenshots of this run; copied to ``ARTIFACTS`` at the end of the session."""
    folder = tmp_path_factory.mktemp("web-screenshots")
    yield folder
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for shot in folder.glob("*.png"):
        shutil.copy2(shot, ARTIFACTS / shot.name)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if chromium_path() is None:
        pytest.skip("Chromium is not installed (CI installs Debian's chromium in .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def visit(chromium: Any, base_url: str, screenshots: Path) -> Iterator[Visit]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield Visit(page=context.new_page(), base=base_url, shots=screenshots)
    finally:
        context.close()
