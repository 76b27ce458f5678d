"""The mind map page: its data, that it is self-contained, and (in headless Chromium) that it
draws, opens on the notes, shows a clicked note, and never runs script from a note.

Browser tests skip cleanly when `chromium` is not installed (Debian: apt-get install chromium
chromium-driver). With Selenium installed they also click with a real driver; without it the
page's own self-test (mindmap.html#selftest) clicks and writes what it saw into the page.
"""

import base64
import hashlib
import json
import re
import shutil
import subprocess

import pytest

from scratchish.notes.cards import all_cards
from scratchish.notes.mindmap import build_graph, embed_json, render_mindmap, write_mindmap
from scratchish.notes.store import NotesStore

EVIL = (
    "Injected? <script>window.__pwned = 1</script> "
    '<img src="x" onerror="window.__pwned = 2"> </script><script>window.__pwned = 3</script> '
    '<!-- [[x" onmouseover="window.__pwned = 4]] **bold** `<b>code</b>`'
)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


@pytest.fixture
def store(tmp_path):
    store = NotesStore(tmp_path / "notes")
    store.new("Chain rule", "Slopes multiply along a chain. [[derivative]] [[My own idea]]")
    store.new("My own idea", "Linked from the chain rule. #maths", status="understood")
    store.new("Softmax", "My words for softmax: exp, then share out.", status="revisit")
    store.new("Evil note", EVIL)
    store.new("Broken", "[[Nowhere at all]]")
    return store


def test_one_node_per_note_and_card(store):
    graph = build_graph(store)
    kinds = [node["kind"] for node in graph["nodes"]]
    assert kinds.count("note") == 5 and kinds.count("card") == len(all_cards())
    by_title = {(node["title"], node["kind"]): i for i, node in enumerate(graph["nodes"])}
    chain = by_title[("Chain rule", "note")]
    assert sorted([chain, by_title[("Derivative", "card")]]) in graph["edges"]
    assert sorted([chain, by_title[("My own idea", "note")]]) in graph["edges"]
    # A note on a card's concept attaches to that card.
    assert sorted([chain, by_title[("Chain rule", "card")]]) in graph["edges"]
    assert sorted([by_title[("Softmax", "note")], by_title[("Softmax", "card")]]) in graph["edges"]
    assert graph["nodes"][by_title[("Broken", "note")]]["broken"] == ["Nowhere at all"]
    statuses = {node["title"]: node["status"] for node in graph["nodes"] if node["kind"] == "note"}
    assert statuses["My own idea"] == "understood" and statuses["Softmax"] == "revisit"
    degrees = [node["degree"] for node in graph["nodes"]]
    assert sum(degrees) == 2 * len(graph["edges"])


def test_page_is_self_contained(store):
    page = render_mindmap(store)
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", page, re.I)
    assert not re.search(r"\b(fetch|XMLHttpRequest|WebSocket|importScripts|import)\s*\(", page)
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page


def test_note_text_cannot_leave_the_json_block(store):
    page = render_mindmap(store)
    # Only the page's own two script elements, and no '</' inside the data.
    assert page.count("<script") == 2 and page.count("</script>") == 2
    data = page.split('type="application/json">')[1].split("</script>")[0]
    assert "<" not in data and ">" not in data
    graph = json.loads(data)
    assert any(EVIL.strip() in node["text"] for node in graph["nodes"])
    assert json.loads(embed_json({"t": "</script><!--&\u2028"})) == {"t": "</script><!--&\u2028"}


def test_only_the_page_script_may_run(store):
    page = render_mindmap(store)
    script = page.split("<script>")[1].split("</script>")[0]
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in page
    assert "default-src 'none'" in page


def _chromium(tmp_path, url, *flags):
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1280,800",
        *flags,
        url,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)


def _selftest(tmp_path, page) -> dict:
    done = _chromium(
        tmp_path, page.as_uri() + "#selftest", "--virtual-time-budget=5000", "--dump-dom"
    )
    found = re.search(r'<pre id="selftest-result">(.*?)</pre>', done.stdout, re.S)
    assert found, f"no self-test result in the page; stderr: {done.stderr[-2000:]}"
    text = found.group(1)
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&amp;", "&")):
        text = text.replace(entity, char)
    return json.loads(text)


@needs_chromium
def test_selftest_in_headless_chromium(store, tmp_path):
    result = _selftest(tmp_path, write_mindmap(store))
    assert result["nodes_in_page"] == 5 + len(all_cards())
    assert result["nodes_in_page"] == result["notes"] + result["cards"]
    assert result["visible_at_start"] == 5  # opens collapsed to the learner's notes
    assert result["clicked"] == "Chain rule"
    assert "Slopes multiply along a chain." in result["panel_text"]
    assert result["visible_after_click"] > result["visible_at_start"]  # expanded on click
    assert result["unsafe_elements"] == 0  # no element made from a note's HTML
    assert result["pwned"] is None  # and nothing ran


@needs_chromium
def test_no_notes_yet_shows_the_cards(tmp_path):
    result = _selftest(tmp_path, write_mindmap(NotesStore(tmp_path / "empty")))
    assert result["notes"] == 0
    assert result["visible_at_start"] == result["cards"] == len(all_cards())


@needs_chromium
def test_screenshot_is_not_blank(store, tmp_path):
    image_module = pytest.importorskip("PIL.Image")
    page = write_mindmap(store)
    shot = tmp_path / "map.png"
    _chromium(tmp_path, page.as_uri(), f"--screenshot={shot}")
    assert shot.exists()
    image = image_module.open(shot).convert("RGB")
    colours = image.getcolors(maxcolors=1_000_000)
    assert len(colours) > 50  # text, circles, lines: far from one flat colour
    # The status colours of the notes are drawn: faith orange, understood green, revisit red.
    present = {rgb for _, rgb in colours}
    for rgb in [(0xF5, 0x9E, 0x0B), (0x16, 0xA3, 0x4A), (0xE1, 0x1D, 0x48)]:
        assert rgb in present


def _driver(tmp_path):
    webdriver = pytest.importorskip("selenium.webdriver")
    chromedriver = shutil.which("chromedriver")
    if CHROMIUM is None or chromedriver is None:
        pytest.skip("chromium and chromedriver are needed for the Selenium test")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'selenium-profile'}",
        "--window-size=1280,800",
    ]:
        options.add_argument(flag)
    # The driver's path is given, so Selenium never tries to download one.
    service = webdriver.ChromeService(executable_path=chromedriver)
    return webdriver.Chrome(options=options, service=service)


def test_clicks_with_selenium(store, tmp_path):
    page = write_mindmap(store)
    driver = _driver(tmp_path)
    try:
        from selenium.webdriver.common.by import By

        driver.get(page.as_uri())
        nodes = driver.find_elements(By.CSS_SELECTOR, "#nodes g.node")
        assert len(nodes) == 5 + len(all_cards())
        shown = [node for node in nodes if node.is_displayed()]
        assert len(shown) == 5

        evil = driver.find_element(By.CSS_SELECTOR, 'g.node[data-title="Evil note"] circle')
        evil.click()
        panel = driver.find_element(By.ID, "panel")
        assert "<script>window.__pwned = 1</script>" in panel.text
        assert panel.find_elements(By.CSS_SELECTOR, "script, img, [onerror], [onmouseover]") == []
        wikilink = panel.find_element(By.CSS_SELECTOR, ".wikilink")
        driver.execute_script(
            "arguments[0].dispatchEvent(new MouseEvent('mouseover', {bubbles: true}))", wikilink
        )
        assert driver.execute_script("return window.__pwned === undefined")

        driver.find_element(By.CSS_SELECTOR, 'g.node[data-title="Chain rule"] circle').click()
        assert "Slopes multiply along a chain." in panel.text
        assert len([n for n in nodes if n.is_displayed()]) > 5  # its links appeared
        panel.find_element(By.XPATH, ".//span[@class='wikilink' and text()='derivative']").click()
        assert panel.find_element(By.TAG_NAME, "h2").text == "Derivative"

        search = driver.find_element(By.ID, "search")
        search.send_keys("one-cycle")
        matches = driver.find_elements(By.CSS_SELECTOR, "g.node.match")
        titles = [m.get_attribute("data-title") for m in matches]
        assert "One-cycle schedule" in titles and "Softmax" not in titles
        assert all(m.is_displayed() for m in matches)  # a match hidden in a collapsed part shows
    finally:
        driver.quit()
