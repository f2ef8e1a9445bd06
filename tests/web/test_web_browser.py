"""The dashboard in a real browser: Debian's Chromium driven by Playwright against the app served by uvicorn.

Each test signs in through the login form, follows links as a person would, checks that maps and charts are
drawn (plotly's SVG inside each chart div), that the page logged no console error, that no request failed and
that nothing was fetched from another origin, and saves a full-page screenshot of every page it visits to
``$ENTAS_TEST_ARTIFACTS/web`` (default ``/tmp/entas-test-artifacts/web``; first written under pytest's
temporary folder, see ``conftest.screenshots``).
"""

from __future__ import annotations

import re

from web_world import Visit, World

from entas.report.i18n import fmt_percent
from entas.report.inputs import load_inputs
from entas.report.sections import area_report

ID_PERCENT = re.compile(r"\d,\d{2}%")
EN_PERCENT = re.compile(r"\d\.\d{2}%")


def test_a_visitor_sees_the_public_overview_and_is_sent_to_sign_in_for_more(visit: Visit) -> None:
    visit.open("/")
    assert visit.page.locator("h2", has_text="Angka utama").count() == 1
    assert visit.charts() == {"chart-map": visit.charts()["chart-map"], "chart-trend": visit.charts()["chart-trend"]}
    assert min(visit.charts().values()) > 0, visit.charts()
    assert visit.page.locator("#ledger table tbody tr").count() >= 1  # the suppressed public counts
    assert visit.page.locator("#districts a").count() == 0  # no drill-down links for visitors
    visit.shot("01-overview-public-id")
    visit.open("/area/64.02")
    assert visit.page.url.startswith(f"{visit.base}/login?next=")
    assert visit.page.locator("#username").count() == 1
    visit.assert_clean()


def test_sign_in_and_drill_down_from_the_province_to_a_village(visit: Visit) -> None:
    visit.sign_in("analis")
    assert visit.page.url == f"{visit.base}/"
    assert "analis" in visit.page.locator("nav .who").inner_text()
    visit.shot("02-overview-analyst")
    with visit.page.expect_navigation():
        visit.page.click("#districts a[href='/area/64.02']")
    visit.ready()
    assert visit.page.locator("h1").inner_text().startswith("Kabupaten Kutai Kartanegara")
    drawn = visit.charts()
    assert drawn.keys() == {"chart-map", "chart-trend"} and min(drawn.values()) > 0, drawn
    visit.shot("03-district-64.02")
    subdistrict = visit.page.locator("#children tbody a").first
    target = subdistrict.get_attribute("href")
    assert target is not None and re.fullmatch(r"/area/64\.02\.\d{2}", target)
    with visit.page.expect_navigation():
        subdistrict.click()
    visit.ready()
    assert visit.page.url == visit.base + target
    assert visit.page.locator(".kicker").first.inner_text().lower() == "kecamatan"
    assert visit.charts()["chart-map"] > 0
    assert visit.page.locator("#children tbody tr").count() >= 1  # its villages
    visit.shot("04-subdistrict")
    village = visit.page.locator("#children tbody a").first
    with visit.page.expect_navigation():
        village.click()
    visit.ready()
    assert re.fullmatch(r".*/area/64\.02\.\d{2}\.\d{4}", visit.page.url)
    assert visit.page.locator("#estimate td.figure").inner_text().endswith("%")
    crumbs = visit.page.locator(".crumbs a")
    assert crumbs.count() == 3  # province, district, subdistrict
    visit.shot("05-village")
    visit.assert_clean()


def test_the_language_switch_translates_text_and_formats_numbers(visit: Visit, world: World) -> None:
    national = area_report(load_inputs(world.home), "64.02").sections["headline"].data["figures"]["national"]
    rate = national["estimate_headcount_ratio"]
    visit.sign_in("analis")
    visit.open("/area/64.02")
    headline = visit.page.locator("#headline table").inner_text()
    assert visit.page.locator("#headline h2").inner_text() == "Angka utama"
    assert fmt_percent(rate, "id") in headline and ID_PERCENT.search(headline)
    visit.shot("06-district-id")
    with visit.page.expect_navigation():
        visit.page.click("#lang-en")
    visit.ready()
    headline = visit.page.locator("#headline table").inner_text()
    assert visit.page.locator("#headline h2").inner_text() == "Headline figures"
    assert fmt_percent(rate, "en") in headline and EN_PERCENT.search(headline)
    assert visit.page.locator("html").get_attribute("lang") == "en"
    assert visit.charts()["chart-map"] > 0
    visit.shot("07-district-en")
    visit.open("/pockets")  # the choice is remembered in a cookie
    assert visit.page.locator("h1").inner_text().startswith("Kalimantan Timur")
    assert visit.page.locator(".kicker").first.inner_text().lower() == "pockets of extreme poverty"
    visit.open("/pockets?lang=id")
    assert visit.page.locator(".kicker").first.inner_text().lower() == "kantong kemiskinan ekstrem"
    visit.assert_clean()


def test_a_district_officer_cannot_open_another_districts_household(visit: Visit, world: World) -> None:
    visit.sign_in("petugas_paser")  # district officer of 64.01 (Paser)
    other = visit.open(f"/household/{world.ledger.kukar_household}")  # a household of 64.02
    assert other.status == 404
    assert visit.page.locator("h1").inner_text() == "Tidak ditemukan"
    not_there = visit.page.locator("#error-message").inner_text()
    visit.shot("08-household-other-district-404")
    missing = visit.open("/household/6401012009-999999")  # no such household: the very same answer
    assert missing.status == 404 and visit.page.locator("#error-message").inner_text() == not_there
    own = visit.open(f"/household/{world.ledger.paser_household}")
    assert own.status == 200
    assert visit.page.locator("#household-id").inner_text() == world.ledger.paser_household
    niks = visit.page.locator("#members td.code").all_inner_texts()
    assert niks and all(re.fullmatch(r"\d{16}", nik) for nik in niks)  # a district officer sees NIKs in clear
    visit.shot("09-household-own-district")
    visit.errors = [e for e in visit.errors if "404" not in e]  # the two refusals above, and nothing else
    visit.failed = [f for f in visit.failed if not f.startswith("404 ")]
    visit.assert_clean()


def test_a_province_analyst_sees_the_household_masked(visit: Visit, world: World) -> None:
    visit.sign_in("analis")
    visit.open(f"/household/{world.ledger.kukar_household}")
    niks = visit.page.locator("#members td.code").all_inner_texts()
    assert niks and all(re.fullmatch(r"\d{4}\*{10}\d{2}", nik) for nik in niks)
    names = visit.page.locator("#members tbody tr td:first-child").all_inner_texts()
    assert all(re.fullmatch(r"([A-Z]\. ?)+", name) for name in names), names
    visit.shot("10-household-analyst-masked")
    visit.assert_clean()


def test_progress_shows_coverage_untouched_and_duplicates_in_the_officers_scope(visit: Visit, world: World) -> None:
    visit.sign_in("petugas_kukar")
    visit.open("/progress?lang=en")
    areas = visit.page.locator("#coverage tbody tr td:first-child .code").all_inner_texts()
    assert areas == ["64.02"]  # its own district only
    duplicates = visit.page.locator("#duplicates tbody").inner_text()
    assert world.ledger.duplicate_household in duplicates
    untouched = visit.page.locator("#untouched tbody").inner_text()
    assert world.ledger.untouched_household in untouched and world.ledger.kukar_household not in untouched
    progress_areas = visit.page.locator("#progress tbody .code").all_inner_texts()
    assert progress_areas == ["64", "64.02"]
    visit.shot("11-progress-en")
    visit.assert_clean()


def test_plan_and_pockets_pages_draw_their_charts(visit: Visit) -> None:
    visit.sign_in("analis")
    visit.open("/plan")
    drawn = visit.charts()
    assert drawn.keys() == {"chart-plan", "chart-simulation"} and min(drawn.values()) > 0, drawn
    assert visit.page.locator("#least-budget tbody tr").count() == 11  # ten districts and the province
    visit.shot("12-plan")
    visit.page.select_option("#area-choice", "64.72")
    with visit.page.expect_navigation():
        visit.page.click("form.inline button")
    visit.ready()
    assert visit.page.url.endswith("/plan?area=64.72")
    assert visit.page.locator("#least-budget tbody tr").count() == 1
    visit.open("/pockets")
    assert visit.page.locator("table.pockets tbody tr").count() >= 10
    visit.shot("13-pockets")
    visit.assert_clean()
