"""The whole flow in a real Chromium on the tiny preset: upload, wait, looks with Buy links, pick, video, delete.

The server is the real app on waitress with a worker running the real handlers (the real DreamBooth trainer,
for 2 steps); a phone-sized window shows the page as people will mostly see it. A screenshot of the page with
its looks and video is saved in the test's tmp dir.
"""

from __future__ import annotations

import base64
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from stylist.catalog.store import CatalogStore
from stylist.worker.handlers import load_handlers
from stylist.worker.loop import Worker
from tests.helpers.chromium import ARGS, CHROMIUM
from tests.helpers.photos import ASTRONAUT
from tests.web.app_under_test import create, jpeg

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
              pytest.mark.timeout(900)]
# Training, looks and the spin run for real on this CPU, beside other work: minutes, not seconds.
FLOW_TIMEOUT_MS = 600_000


@pytest.fixture
def live_server(settings, queue):
    from waitress import create_server

    server = create_server(create(settings, queue), host="127.0.0.1", port=0, threads=4)
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    worker = Worker(settings, queue, load_handlers(""), name="browser-test", lease=60, poll=0.1)
    working = threading.Thread(target=worker.run, daemon=True)
    working.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    worker.stop()
    server.close()
    working.join(timeout=120)


def drop_file(page, selector: str, name: str, data: bytes) -> None:
    """Drop a file on the element as a person dragging it from their desktop would."""
    page.evaluate(
        """([selector, name, encoded]) => {
            const bytes = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type: "image/jpeg" }));
            document.querySelector(selector).dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true }));
        }""",
        [selector, name, base64.b64encode(data).decode()],
    )


def test_the_whole_flow_in_chromium_on_a_phone_screen(live_server, settings, queue, photos, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    files = []
    for name, data in photos:
        (tmp_path / name).write_bytes(data)
        files.append(str(tmp_path / name))
    wall = jpeg(Image.new("RGB", (500, 500), (90, 120, 60)))
    small = tmp_path / "small.jpg"
    small.write_bytes(jpeg(ASTRONAUT.resize((300, 300))))
    with CatalogStore(settings) as store:
        shop_urls = {product.url for product in store.products()}

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=1, is_mobile=True,
                                has_touch=True)
        page.set_default_timeout(30_000)
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.goto(f"{live_server}/?steps=2")
        expect(page.locator("#tiny-banner")).to_be_visible()

        # Two photos that cannot be used: each is shown refused, with its reason.
        page.fill("#name", "Ada")
        page.fill("#prompt", "a yellow raincoat for autumn")
        page.fill("#options", "2")  # two looks: each is a real generation on this CPU
        page.set_input_files("#photos", [files[0], str(small)])
        drop_file(page, "#drop", "wall.jpg", wall)
        expect(page.locator("#previews li")).to_have_count(3)
        page.click("#go")  # no consent yet: nothing is sent
        expect(page.locator("#start-error")).to_contain_text("Tick the box")
        page.check("#consent")
        page.click("#go")
        expect(page.locator("#previews li.refused")).to_have_count(2)
        expect(page.locator('#previews li[data-name="wall.jpg"] .reason')).to_contain_text("no face")
        expect(page.locator('#previews li[data-name="small.jpg"] .reason')).to_contain_text("at least 384")
        assert problems == ["Failed to load resource: the server responded with a status of 400 (BAD REQUEST)"]
        problems.clear()

        # Take the refused ones away, add two good ones, and go.
        for name in ("wall.jpg", "small.jpg"):
            page.locator(f'#previews li[data-name="{name}"] button').click()
        page.set_input_files("#photos", files[1:])
        expect(page.locator("#previews li")).to_have_count(3)
        page.click("#go")
        expect(page.locator("#progress")).to_be_visible()
        expect(page.locator("#gallery")).to_be_visible(timeout=FLOW_TIMEOUT_MS)
        assert problems == [], problems  # no script error, no CSP violation, no failed request
        assert page.locator("#progress-error").inner_text() == ""
        expect(page.locator("#looks-message")).to_have_text("done")  # the shopper's words, not the worker's
        assert page.locator("#train-message").inner_text() == "done"

        # Looks with their products; every Buy link is a product's page in the shop, opened safely.
        expect(page.locator(".look")).to_have_count(2)
        buy = page.locator(".look a.buy")
        assert buy.count() >= 2
        for index in range(buy.count()):
            link = buy.nth(index)
            assert link.get_attribute("href") in shop_urls
            assert link.get_attribute("target") == "_blank" and "noopener" in link.get_attribute("rel")
        assert page.locator(".look .designer").first.inner_text().strip()
        natural_width, natural_height, shown_width, shown_height = page.evaluate(
            "(() => { const i = document.querySelector('.look > img');"
            " return [i.naturalWidth, i.naturalHeight, i.clientWidth, i.clientHeight]; })()")
        # A portrait look, shown whole: its box has the picture's shape, so nothing is cropped to a square.
        assert natural_height > natural_width > 0
        assert abs(shown_height / shown_width - natural_height / natural_width) < 0.05
        # Nothing sticks out sideways on a phone.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        # Pick one, rated 5; the spin plays in the page and the GIF can be downloaded.
        first = page.locator(".look").first
        first.locator("select").select_option("5")
        first.locator("button.this-one").click()
        expect(first).to_have_class("look chosen")
        expect(page.locator("#spin")).to_be_visible(timeout=FLOW_TIMEOUT_MS)
        # Polled from here: wait_for_function evaluates strings in the page, which its CSP rightly forbids.
        deadline = time.monotonic() + 60
        while page.evaluate("document.getElementById('spin').readyState") < 2:  # HAVE_CURRENT_DATA
            assert time.monotonic() < deadline, "the video did not load"
            time.sleep(0.2)
        assert page.evaluate("document.getElementById('spin').error") is None
        assert page.evaluate("document.getElementById('spin').duration") > 0
        assert page.get_attribute("#gif", "href").startswith("/media/")
        page.locator("#spin").scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / "flow.png"), full_page=True)

        user_id = page.evaluate("JSON.parse(localStorage.getItem('stylist')).user")
        assert (settings.data_dir / "users" / user_id).is_dir()
        jobs = queue.jobs(user_id)
        assert [job.kind for job in jobs] == ["train", "looks", "video"]
        assert all(job.status == "succeeded" and job.attempts == 1 for job in jobs)
        job_seconds = {job.kind: job.finished_at - job.started_at for job in jobs}

        # Delete my data: confirmed in the dialog, then nothing of the person is left.
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("#delete")
        expect(page.locator("#deleted")).to_be_visible()
        expect(page.locator("#consent")).not_to_be_checked()  # the next person gives their own
        browser.close()

    assert not (settings.data_dir / "users" / user_id).exists()
    assert (tmp_path / "flow.png").stat().st_size > 10_000
    assert queue.jobs(user_id) == []
    for kind, seconds in job_seconds.items():
        print(f"{kind}: {seconds:.1f} s")
