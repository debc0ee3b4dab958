"""`stylist demo` and `stylist demo shop` as a user runs them: separate processes, their output, their exit codes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import httpx


def stylist(*args, env=None, timeout=60):
    return subprocess.run([sys.executable, "-m", "stylist", *args], check=False, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_shop_command_serves_until_ctrl_c():
    process = subprocess.Popen(
        [sys.executable, "-m", "stylist", "demo", "shop", "--port", "0", "--products", "30", "--no-traps"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C as a terminal delivers it, also where the tests run with SIGINT ignored (a background job,
        # a CI runner), which the shop would inherit: it then never stops and the test waits a minute for it.
        # Only a signal disposition is set between fork and exec: no lock another thread could hold.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    )
    try:
        line = process.stdout.readline()
        url = line.split()[0]
        assert url.startswith("http://127.0.0.1:") and "30 products, day 1" in line
        page = httpx.get(f"{url}/c/all", timeout=10)
        assert page.status_code == 200 and "Maison Démo" in page.text
        assert httpx.get(f"{url}/robots.txt", timeout=10).text.startswith("User-agent: *\nDisallow:\n")  # no traps
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr  # Ctrl-C is how it ends, not an error
    assert stderr == ""


def test_shop_command_serves_a_shopify_store_on_day_two():
    process = subprocess.Popen(
        [sys.executable, "-m", "stylist", "demo", "shop", "--port", "0", "--products", "30", "--shopify",
         "--day", "2", "--no-traps"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = process.stdout.readline().split()[0]
        products = httpx.get(f"{url}/products.json?limit=250", timeout=10).json()["products"]
        assert products and all(product["variants"] for product in products)
        assert any(product["updated_at"].startswith("2024-05-02") for product in products)
    finally:
        process.terminate()
        process.wait(timeout=60)


def test_shop_command_refuses_too_few_products_for_its_traps():
    result = stylist("demo", "shop", "--products", "5")
    assert result.returncode == 2
    assert result.stderr.startswith("error: a shop with traps needs at least") and result.stderr.count("\n") == 1


def test_demo_help_shows_the_job_and_the_shop():
    result = stylist("demo", "--help")
    assert result.returncode == 0, result.stderr
    for option in ("--out", "--products", "--prompt", "--options"):
        assert option in result.stdout
    assert "shop" in result.stdout.split("Commands:")[1]


def test_demo_parses_its_job_options_without_a_subcommand(tmp_path):
    # The job starts (and refuses a folder it did not make) rather than asking for a subcommand.
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "catalog.db").write_text("precious")
    env = {**os.environ, "STYLIST_DATA_DIR": str(tmp_path / "elsewhere")}
    result = stylist("demo", "--out", str(tmp_path), "--products", "8", "--prompt", "a coat", "--options", "1", env=env)
    assert result.returncode == 1 and "not a stylist demo" in result.stderr
    assert (tmp_path / "data" / "catalog.db").read_text() == "precious"


def test_demo_refuses_job_options_given_to_the_shop(tmp_path):
    result = stylist("demo", "--out", str(tmp_path), "shop")
    assert result.returncode == 2 and "--out" in result.stderr and "demo shop" in result.stderr
    assert not any(tmp_path.iterdir())


def test_a_taken_port_is_named_by_the_shop_and_by_serve(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        expected = (f"error: port {port} on 127.0.0.1 is already in use: stop what listens there, or choose another "
                    "port with --port (0 takes any free one)\n")
        shop = stylist("demo", "shop", "--port", str(port), "--no-traps")
        served = stylist("--data-dir", str(tmp_path), "--preset", "tiny", "serve", "--no-worker", "--port", str(port))
    assert (shop.returncode, shop.stderr) == (1, expected)
    assert (served.returncode, served.stderr) == (1, expected)
