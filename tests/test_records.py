"""Ids and times of stored things: random 16-hex ids that nothing else passes for, UTC timestamps."""

from __future__ import annotations

from datetime import UTC, datetime

from stylist.records import is_id, new_id, utc_now


def test_ids_are_16_random_hex_digits_and_nothing_else_is_one():
    ids = {new_id() for _ in range(100)}
    assert len(ids) == 100 and all(is_id(each) for each in ids)
    for text in ("", "0123456789ABCDEF", "0123456789abcde", "0123456789abcdef0", "../../etc/passwd", "0123456789abcdeg"):
        assert not is_id(text), text


def test_times_are_utc_iso_to_the_second():
    stamp = utc_now()
    parsed = datetime.fromisoformat(stamp)
    assert parsed.tzinfo == UTC and stamp.endswith("+00:00") and parsed.microsecond == 0
    assert abs((datetime.now(UTC) - parsed).total_seconds()) < 5
