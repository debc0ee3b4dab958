import asyncio

import pytest

from stylist.catalog.fetch import Fetcher, FetchFailed, retry_after
from tests.helpers.scripted_server import ScriptedServer, html


def fetch(base, path, **options):
    async def go():
        fetcher = Fetcher(delay=0, backoff=0.05, **options)
        try:
            return await fetcher.get(base + path)
        finally:
            await fetcher.aclose()

    return asyncio.run(go())


def test_retries_a_503_and_returns_the_answer():
    server = ScriptedServer({"/p": [html("busy", 503), html("ok")]})
    with server.serve() as base:
        response = fetch(base, "/p")
    assert response.status == 200 and response.text == "ok"
    assert len(server.hits("/p")) == 2


def test_honours_retry_after():
    server = ScriptedServer({"/p": [html("slow down", 429, **{"Retry-After": "1"}), html("ok")]})
    with server.serve() as base:
        assert fetch(base, "/p").status == 200
    first, second = server.hits("/p")
    assert second - first >= 0.9


def test_gives_up_after_the_retries():
    server = ScriptedServer({"/p": [html("down", 500)]})
    with server.serve() as base, pytest.raises(FetchFailed, match="HTTP 500 after 3 attempts"):
        fetch(base, "/p", retries=2)
    assert len(server.hits("/p")) == 3


def test_a_404_is_a_definite_answer_without_retries():
    server = ScriptedServer({})
    with server.serve() as base:
        assert fetch(base, "/gone").status == 404
    assert len(server.hits("/gone")) == 1


def test_oversized_bodies_are_cut_off():
    server = ScriptedServer({"/big": [html("x" * 5000)]})
    with server.serve() as base:
        assert fetch(base, "/big", max_bytes=1000).status == 413


def test_network_errors_fail_cleanly():
    with pytest.raises(FetchFailed):
        fetch("http://127.0.0.1:9", "/", retries=1)


def test_retry_after_parsing():
    assert retry_after("3") == 3.0
    assert retry_after(None) is None
    assert retry_after("not a date") is None
    assert 0 <= retry_after("Wed, 21 Oct 2015 07:28:00 GMT") <= 0.0 + 1e-9
