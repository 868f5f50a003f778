"""The embeddable widget in real headless Chromium, against the real server.

One server (`helpdir serve` in a subprocess, on a copy of the seeded database plus one
hostile record) and one browser for the module; each test gets a fresh browser context,
so no test sees another's cookies or storage. Needs Debian's `chromium`, Playwright for
Python and axe-core (`make browser-deps`); without them the module is skipped, unless
HELPDIR_BROWSER_TESTS=required (CI), which makes that a failure. Screenshots go to
var/screenshots/.
"""

from __future__ import annotations  # Playwright's types are only imported for checkers

import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import pytest
from conftest import _drop_database, _new_database_url, app_for
from fastapi.testclient import TestClient
from write_helpers import PALADIN, SPECIALIST_ADVOCACY, YOUNG_PEOPLE, make_key

from models.api_key import Role

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Request, Response

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("HELPDIR_CHROMIUM", "/usr/bin/chromium")
AXE = ROOT / "var/npm/node_modules/axe-core/axe.min.js"
SCREENSHOTS = ROOT / "var/screenshots"
REQUIRED = os.environ.get("HELPDIR_BROWSER_TESTS") == "required"
ENABLE = (
    "To run them: `apt-get install -y chromium` (as root), then `make browser-deps` "
    "(Playwright for Python and axe-core)."
)


def _missing() -> str | None:
    if not Path(CHROMIUM).is_file():
        return f"no Chromium at {CHROMIUM} (HELPDIR_CHROMIUM names another)"
    if importlib.util.find_spec("playwright") is None:
        return "Playwright for Python is not installed"
    if not AXE.is_file():
        return f"axe-core is not installed at {AXE.relative_to(ROOT)}"
    return None


_reason = _missing()
if _reason is not None and not REQUIRED:
    pytest.skip(f"browser tests skipped: {_reason}. {ENABLE}", allow_module_level=True)

HOSTILE_NAME = '<script>window.__hostile = 1</script><img src=x onerror="window.__hostile = 2">'
HOSTILE_DESCRIPTION = '<b>Bold?</b> <a href="javascript:window.__hostile = 3">click</a> &amp;'
EXIT_URL = "https://www.bbc.co.uk/weather"
# The widget's own element ids are unknown to a test; these find its parts.
EMERGENCY = "helpdir-directory section.emergency li.card"
NON_EMERGENCY = "helpdir-directory section.non-emergency li.card"
SERVICE_CARDS = "helpdir-directory section.services li.card"
VISIBLE_SERVICES = "helpdir-directory section.services li.card:not([hidden])"
STATUS = "helpdir-directory section.services p.status"


# -- the server ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(database_url: str, log: Path) -> Iterator[str]:
    """`helpdir serve` on a free port until the block ends; its base URL."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env.update(DATABASE_URL=database_url, RATE_LIMIT_ANONYMOUS="0", RATE_LIMIT_KEY="0")
    env.update(WEB_CONCURRENCY="1")
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(ROOT / ".venv/bin/helpdir"), "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"the server exited:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"the server did not start:\n{log.read_text()}"
            with suppress(httpx.TransportError):
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            time.sleep(0.05)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def hostile_database(
    tmp_path_factory: pytest.TempPathFactory, seeded_template: str
) -> Iterator[tuple[str, str]]:
    """A copy of the seeded database with one service whose text is markup, created
    through the write API as an administrator would; its URL and the service's id."""
    url = _new_database_url(tmp_path_factory.mktemp("embed"), seeded_template)
    app = app_for(url)
    try:
        admin = make_key(app.state.engine, "Directory team", Role.admin)
        body = {
            "organization_id": PALADIN,
            "name": HOSTILE_NAME,
            "description": HOSTILE_DESCRIPTION,
            "phones": [
                {"number": "0808 802 0300", "type": "voice", "description": "<i>x</i>"},
                # stored as "020 7946 0000 x12": the extension must not be dialled as digits
                {"number": "020 7946 0000 ext. 12", "type": "voice"},
            ],
            "service_areas": [{"name": "England"}],
            "attributes": [{"taxonomy_term_id": YOUNG_PEOPLE}],
        }
        created = TestClient(app).post("/v1/services", json=body, headers=admin.headers)
        assert created.status_code == 201, created.text
        hostile_id = created.json()["id"]
    finally:
        app.state.engine.dispose()
    yield url, hostile_id
    _drop_database(url)


@pytest.fixture(scope="module")
def api(
    hostile_database: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with serving(hostile_database[0], tmp_path_factory.mktemp("embed-log") / "serve.log") as base:
        yield base


@pytest.fixture(scope="module")
def directory(api: str) -> dict[str, list[dict[str, Any]]]:
    """What the API says, to compare the widget with."""
    with httpx.Client(base_url=api) as client:
        return {
            "channels": client.get("/v1/reporting_channels?per_page=1000").json()["contents"],
            "services": client.get("/v1/services?full=true&per_page=1000").json()["contents"],
        }


# -- the browser --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if _reason is not None:  # HELPDIR_BROWSER_TESTS=required: every test here fails
        pytest.fail(f"browser tests required, but {_reason}. {ENABLE}", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh profile: no cookies or storage from any other test. A request to the exit
    page is answered here, so it never reaches the network."""
    made = browser.new_context(viewport={"width": 1280, "height": 900})
    # The host pages below are answered by the test, so Chromium counts them as public;
    # let them reach the API on this machine's loopback address.
    made.grant_permissions(["local-network-access"])
    made.route(f"{EXIT_URL}**", lambda route: route.fulfill(body="<title>Weather</title>"))
    yield made
    made.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    made = context.new_page()
    made.set_default_timeout(10_000)
    return made


def open_widget(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(SERVICE_CARDS, state="attached")


def host_page(context: BrowserContext, api: str, attributes: str = "") -> str:
    """A third-party page on another origin (`localhost`; the API is on `127.0.0.1`) that
    embeds the widget with the snippet. The test answers it: only the API is a real server."""
    url = f"http://localhost:{urlsplit(api).port}/host-page.html"
    html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>A host page</title>
<style>* {{ font-size: 10px; color: lime; }} h2, h3 {{ display: none; }}
li {{ float: left; }}</style>
</head><body><main><h1>Our page</h1><p>Text of the host page.</p>
<helpdir-directory {attributes}></helpdir-directory></main>
<script src="{api}/embed/helpdir.js" defer></script></body></html>"""
    context.route(url, lambda route: route.fulfill(body=html, content_type="text/html"))
    return url


def shadow(page: Page, expression: str) -> Any:
    """Evaluate `expression` with `root` bound to the widget's shadow root."""
    return page.evaluate(
        f"() => {{ const root = document.querySelector('helpdir-directory').shadowRoot; "
        f"return {expression}; }}"
    )


def dialled(number: str) -> str:
    """What a tel: link must dial: the digits, a leading +, no extension, no "(0)" after +44."""
    main = re.split(r"\s*(?:ext\.?|extension|x|#)\s*(?=\d)", number.strip(), flags=re.I)[0]
    if main.startswith("+"):
        return "+" + re.sub(r"\D", "", main.replace("(0)", ""))
    return re.sub(r"\D", "", main)


def card_names(page: Page, selector: str) -> list[str]:
    return [text.strip() for text in page.locator(f"{selector} :is(h3, h4)").all_inner_texts()]


# -- what it shows ------------------------------------------------------------------------


def test_it_shows_every_way_to_report_emergencies_first(
    page: Page, api: str, directory: dict[str, list[dict[str, Any]]]
) -> None:
    open_widget(page, f"{api}/embed/")
    channels = directory["channels"]
    emergency = card_names(page, EMERGENCY)
    # 999 first, then textphone 18000, emergencySMS, and the silent solution.
    by_name = {c["name"]: c for c in channels}
    assert [(by_name[n]["method"], by_name[n]["number"]) for n in emergency] == [
        ("voice", "999"),
        ("textphone", "18000"),
        ("sms", "999"),
        ("silent_call", "999"),
    ]
    others = card_names(page, NON_EMERGENCY)
    assert sorted(emergency + others) == sorted(c["name"] for c in channels)
    assert {by_name[n]["urgency"] for n in others} == {"non_emergency"}
    # Emergency before non-emergency before services, in reading order.
    order = shadow(
        page,
        "[...root.querySelectorAll('section')].map(s => s.className)",
    )
    assert order == ["emergency", "non-emergency", "services"]

    silent = next(c for c in channels if c["method"] == "silent_call")
    card = page.locator(f'{EMERGENCY}[data-channel-id="{silent["id"]}"]')
    assert card.locator("ol > li").all_inner_texts() == silent["steps"]
    assert card.locator("ul > li").all_inner_texts() == silent["requirements"]


def test_every_phone_link_dials_the_number_in_the_record(
    page: Page, api: str, directory: dict[str, list[dict[str, Any]]]
) -> None:
    """A wrong number is the worst bug: each link's target and its spoken name are the
    record's own digits, and a text link is an sms: link."""
    open_widget(page, f"{api}/embed/")
    schemes = {"voice": "tel", "silent_call": "tel", "textphone": "tel", "sms": "sms"}
    checked = 0
    for channel in directory["channels"]:
        links = page.locator(f'[data-channel-id="{channel["id"]}"] a.contact')
        if channel.get("number"):
            assert links.count() == 1, channel["name"]
            href = links.get_attribute("href")
            assert href == f"{schemes[channel['method']]}:{dialled(channel['number'])}"
            checked += 1
    for service in directory["services"]:
        links = page.locator(f'[data-service-id="{service["id"]}"] a.contact')
        phones = [p for p in service.get("phones", []) if p.get("type", "voice") != "fax"]
        assert links.count() == len(phones), service["name"]
        for index, phone in enumerate(phones):
            link = links.nth(index)
            scheme = "sms" if phone.get("type") in ("text", "sms") else "tel"
            assert link.get_attribute("href") == f"{scheme}:{dialled(phone['number'])}"
            shown = link.inner_text()
            assert phone["number"] in shown
            # The name: what is shown (for voice control), then the digits one by one.
            shown_part, digits = (link.get_attribute("aria-label") or "").split(": ")
            assert shown_part == shown
            assert re.sub(r"\D", "", digits) == re.sub(r"\D", "", phone["number"])
            assert not re.search(r"\d\d", digits), digits
            checked += 1
    assert checked > 8
    for name, href in [
        ("Call 0808 802 0300: 0 8 0 8, 8 0 2, 0 3 0 0", "tel:08088020300"),
        ("Call 999: 9 9 9", "tel:999"),
        ("Textphone 18000: 1 8 0 0 0", "tel:18000"),
        ("Text 999: 9 9 9", "sms:999"),
        ("Call 020 7946 0000 x12: 0 2 0, 7 9 4 6, 0 0 0 0, extension 1 2", "tel:02079460000"),
    ]:
        link = page.get_by_role("link", name=name, exact=True).first
        assert link.get_attribute("href") == href, name


def test_it_shows_every_service_with_what_it_offers_and_who_it_is_for(
    page: Page, api: str, directory: dict[str, list[dict[str, Any]]]
) -> None:
    open_widget(page, f"{api}/embed/")
    services = directory["services"]
    assert sorted(card_names(page, SERVICE_CARDS)) == sorted(s["name"] for s in services)
    assert page.locator(STATUS).inner_text() == f"{len(services)} services"
    paladin = next(s for s in services if s["name"] == "Stalking advocacy for high-risk victims")
    card = page.locator(f'[data-service-id="{paladin["id"]}"]')
    facts = dict(
        zip(
            card.locator("dt").all_inner_texts(),
            card.locator("dd").all_inner_texts(),
            strict=True,
        )
    )
    assert facts["What it offers"] == "Specialist stalking advocacy"
    assert facts["Who it is for"] == "High-risk victims, Professionals making a referral"
    assert facts["Where"] == "England"
    assert facts["Eligibility"] == paladin["eligibility_description"]
    assert "Run by Paladin" in card.inner_text()
    assert card.get_by_role("link", name=re.compile("^Website of")).get_attribute("href") == (
        paladin["url"] if paladin["url"].endswith("/") else paladin["url"] + "/"
    )


def test_a_hostile_record_is_shown_as_text(
    page: Page, api: str, hostile_database: tuple[str, str]
) -> None:
    open_widget(page, f"{api}/embed/")
    card = page.locator(f'[data-service-id="{hostile_database[1]}"]')
    assert card.locator("h3").inner_text() == HOSTILE_NAME
    assert HOSTILE_DESCRIPTION in card.inner_text()
    assert "<i>x</i>" in card.inner_text()
    assert card.locator("script, img, b, i, a[href^='javascript']").count() == 0
    assert shadow(page, "root.querySelectorAll('script, img').length") == 0
    assert page.evaluate("window.__hostile") is None


# -- search and filters -------------------------------------------------------------------


def visible_names(page: Page) -> list[str]:
    return sorted(card_names(page, VISIBLE_SERVICES))


def test_search_and_filters_narrow_the_services_without_touching_history(
    page: Page, api: str, directory: dict[str, list[dict[str, Any]]]
) -> None:
    open_widget(page, f"{api}/embed/")
    url, history = page.url, page.evaluate("history.length")
    services = directory["services"]
    total = len(services)
    search = page.get_by_role("searchbox", name="Search services")

    search.fill("helpline")
    assert "National Stalking Helpline" in visible_names(page)
    assert "Hollie Guard app" not in visible_names(page)
    shown = len(visible_names(page))
    assert 0 < shown < total
    assert page.locator(STATUS).inner_text() == f"{shown} of {total} services match"

    search.fill("helpline national")
    both_words = visible_names(page)
    assert "National Stalking Helpline" in both_words and len(both_words) <= shown
    search.fill("HÉLPLINE  Natiónal")  # any case, any accents
    assert visible_names(page) == both_words
    search.fill("no service is called this")
    assert visible_names(page) == []
    assert page.locator(STATUS).inner_text() == f"0 of {total} services match"
    search.fill("")

    def having(term_id: str) -> list[str]:
        return sorted(
            s["name"]
            for s in services
            if any(a["taxonomy_term_id"] == term_id for a in s.get("attributes", []))
        )

    need = page.get_by_label("What help do you need?")
    need.select_option(label="Specialist stalking advocacy")
    assert visible_names(page) == having(SPECIALIST_ADVOCACY)
    need.select_option(label="Victim support")  # a broader term finds the narrower ones
    assert set(having(SPECIALIST_ADVOCACY)) < set(visible_names(page))
    assert "National Stalking Helpline" in visible_names(page)
    need.select_option(label="Any kind of help")

    who = page.get_by_label("Who is it for?")
    who.select_option(label="Young people aged 16 to 25")
    assert visible_names(page) == having(YOUNG_PEOPLE)
    need.select_option(label="Specialist stalking advocacy")
    assert visible_names(page) == sorted(
        set(having(YOUNG_PEOPLE)) & set(having(SPECIALIST_ADVOCACY))
    )

    assert page.url == url
    assert page.evaluate("history.length") == history


def test_attributes_limit_services_but_never_hide_emergency_help(
    context: BrowserContext, page: Page, api: str, directory: dict[str, list[dict[str, Any]]]
) -> None:
    url = host_page(context, api, 'data-taxonomy-term="specialist-advocacy" data-area="England"')
    open_widget(page, url)
    expected = sorted(
        s["name"]
        for s in directory["services"]
        if any(a["taxonomy_term_id"] == SPECIALIST_ADVOCACY for a in s.get("attributes", []))
        and (not s.get("service_areas") or "England" in [a["name"] for a in s["service_areas"]])
    )
    assert expected and visible_names(page) == expected
    emergency = [c["name"] for c in directory["channels"] if c["urgency"] == "emergency"]
    assert sorted(card_names(page, EMERGENCY)) == sorted(emergency)
    # The Thames Valley non-emergency ways are not for England as a whole.
    assert page.locator(NON_EMERGENCY).count() == 0


def test_data_api_names_another_base(
    context: BrowserContext, page: Page, api: str, directory: dict[str, list[dict[str, Any]]]
) -> None:
    """A server behind a path prefix (here /mirror, which the test forwards to the API)."""
    seen: list[str] = []

    def forward(route: Any) -> None:
        seen.append(route.request.url)
        route.fulfill(response=route.fetch(url=route.request.url.replace("/mirror/v1/", "/v1/")))

    context.route(f"{api}/mirror/v1/**", forward)
    open_widget(page, host_page(context, api, f'data-api="{api}/mirror/"'))
    assert len(seen) == 3, seen
    assert len(card_names(page, SERVICE_CARDS)) == len(directory["services"])


# -- safety -------------------------------------------------------------------------------


def test_the_quick_exit_button_replaces_the_page(page: Page, api: str) -> None:
    page.goto(f"{api}/healthz")
    open_widget(page, f"{api}/embed/")
    history = page.evaluate("history.length")
    exit_button = page.get_by_role("button", name="Leave this site quickly")
    assert exit_button.is_visible()
    exit_button.click()
    page.wait_for_url(f"{EXIT_URL}**")
    assert page.evaluate("history.length") == history  # replaced, not added
    page.go_back()
    assert page.url == f"{api}/healthz"  # Back skips the page that had the directory


def test_escape_twice_leaves_from_anywhere_on_the_page(page: Page, api: str) -> None:
    page.goto(f"{api}/healthz")
    open_widget(page, f"{api}/embed/")
    history = page.evaluate("history.length")
    search = page.get_by_role("searchbox", name="Search services")
    search.fill("helpline")
    search.press("Escape")  # once clears the box and stays
    page.wait_for_timeout(100)
    assert page.url == f"{api}/embed/"
    page.wait_for_timeout(1600)  # long after: the next Escape is a first one again
    page.keyboard.press("Escape")
    page.wait_for_timeout(100)
    assert page.url == f"{api}/embed/"
    page.keyboard.press("Escape")
    page.wait_for_url(f"{EXIT_URL}**")
    assert page.evaluate("history.length") == history
    page.go_back()
    assert page.url == f"{api}/healthz"


def test_escape_twice_works_when_focus_is_in_the_host_page(
    context: BrowserContext, page: Page, api: str
) -> None:
    open_widget(page, host_page(context, api, 'data-exit-url="https://www.bbc.co.uk/weather/x"'))
    page.locator("h1").click()
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    page.wait_for_url("https://www.bbc.co.uk/weather/x")


def test_no_request_leaves_the_api_and_nothing_is_stored(
    context: BrowserContext, page: Page, api: str
) -> None:
    """Loaded by a third-party page: every request after that page is to the API, carries
    no cookie and no referrer; no response sets a cookie; the browser keeps nothing."""
    requests: list[Request] = []
    responses: list[Response] = []
    page.on("request", lambda request: requests.append(request))
    page.on("response", lambda response: responses.append(response))
    url = host_page(context, api)
    open_widget(page, url)
    page.get_by_role("searchbox", name="Search services").fill("stalking")
    page.get_by_label("What help do you need?").select_option(index=1)
    page.wait_for_load_state("networkidle")

    origin = urlsplit(api)
    others = [r.url for r in requests if r.url != url]
    assert others, "the widget made no request"
    for request_url in others:
        parts = urlsplit(request_url)
        assert (parts.scheme, parts.netloc) == (origin.scheme, origin.netloc), request_url
    for request in requests:
        headers = request.all_headers()
        assert "cookie" not in headers, request.url
        if request.url != url and request.resource_type == "fetch":
            assert "referer" not in headers, (request.url, headers.get("referer"))
    for response in responses:
        assert "set-cookie" not in response.all_headers(), response.url

    assert context.cookies() == []
    stored = page.evaluate(
        """async () => ({
            cookie: document.cookie,
            local: localStorage.length,
            session: sessionStorage.length,
            databases: (await indexedDB.databases()).length,
        })"""
    )
    assert stored == {"cookie": "", "local": 0, "session": 0, "databases": 0}
    state = context.storage_state()
    assert state["cookies"] == [] and all(not o["localStorage"] for o in state["origins"])


def test_if_the_api_cannot_be_reached_it_still_says_call_999(
    context: BrowserContext, page: Page, api: str
) -> None:
    context.route(f"{api}/v1/**", lambda route: route.abort())
    page.goto(host_page(context, api))
    alert = page.locator("helpdir-directory [role=alert]")
    alert.wait_for()
    assert "could not be loaded" in alert.inner_text()
    assert alert.get_by_role("link", name="Call 999: 9 9 9").get_attribute("href") == "tel:999"
    assert page.get_by_role("button", name="Leave this site quickly").is_visible()


# -- accessibility ------------------------------------------------------------------------


def axe_violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => {
            const result = await axe.run(document, {
                runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
                                                 'wcag22aa', 'best-practice']},
                resultTypes: ['violations'],
            });
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target)}));
        }"""
    )
    violations: list[dict[str, Any]] = result
    return violations


@pytest.mark.parametrize("width", [1280, 320])
def test_axe_finds_no_serious_or_critical_violation(browser: Browser, api: str, width: int) -> None:
    # bypass_csp: axe is injected as an inline script, which the demo page's CSP refuses.
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    try:
        page = context.new_page()
        open_widget(page, f"{api}/embed/")
        page.get_by_label("What help do you need?").select_option(index=1)
        violations = axe_violations(page)
    finally:
        context.close()
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, json.dumps(serious, indent=1)


def test_keyboard_order_starts_at_the_exit_and_focus_is_visible(
    context: BrowserContext, page: Page, api: str
) -> None:
    open_widget(page, host_page(context, api))
    page.keyboard.press("Tab")
    focused = "root.activeElement"
    assert shadow(page, f"{focused}.textContent") == "Leave this site quickly"
    style = "getComputedStyle(root.activeElement)"
    assert shadow(page, f"{style}.outlineStyle") == "solid"
    assert shadow(page, f"parseFloat({style}.outlineWidth)") >= 2
    page.keyboard.press("Tab")
    assert shadow(page, f"{focused}.getAttribute('href')") == "tel:999"
    assert shadow(page, f"{style}.outlineStyle") == "solid"


@pytest.mark.parametrize(
    ("name", "width", "scale"),
    [("1280", 1280, 1), ("320", 320, 1), ("zoom-200", 640, 2)],
)
def test_it_fits_the_screen_and_screenshots_are_kept(
    browser: Browser, api: str, name: str, width: int, scale: int
) -> None:
    """No sideways scrolling at 1280 px, on a 320 px screen, or at 200% zoom (a 1280 px
    window at 200% lays out as 640 CSS px); the screenshots are artefacts in var/."""
    context = browser.new_context(
        viewport={"width": width, "height": 900}, device_scale_factor=scale
    )
    try:
        page = context.new_page()
        open_widget(page, f"{api}/embed/")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{overflow}px of sideways scrolling at {width}px"
        widget_width = page.evaluate(
            "document.querySelector('helpdir-directory').getBoundingClientRect().width"
        )
        assert 0 < widget_width <= width
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        if scale == 1:  # a whole page at 2x is slow to take and too big to look at
            page.screenshot(path=SCREENSHOTS / f"embed-{name}-full.png", full_page=True)
        # One screen from the top of the widget: what a person sees first.
        page.evaluate("document.querySelector('helpdir-directory').scrollIntoView()")
        page.screenshot(path=SCREENSHOTS / f"embed-{name}.png")
        # And the services, with the search box and filters.
        page.locator(f"{STATUS}").evaluate("status => status.closest('section').scrollIntoView()")
        page.screenshot(path=SCREENSHOTS / f"embed-{name}-services.png")
    finally:
        context.close()


def test_the_widget_survives_a_hostile_host_stylesheet(
    context: BrowserContext, page: Page, api: str
) -> None:
    """The host page above sets 10px lime text, hides h2/h3 and floats list items: none of
    it reaches into the widget."""
    open_widget(page, host_page(context, api))
    heading = page.locator(f"{EMERGENCY} h3").first
    assert heading.is_visible()
    style = page.evaluate(
        """() => { const h = document.querySelector('helpdir-directory').shadowRoot
                     .querySelector('section.emergency h3');
                   const s = getComputedStyle(h);
                   return {size: parseFloat(s.fontSize), color: s.color}; }"""
    )
    assert style["size"] >= 16
    assert style["color"] != "rgb(0, 255, 0)"
