"""API keys and listing cursors (pure parts of the gateway)."""

from __future__ import annotations

import pytest
from migrator_gateway.api.cursor import decode_cursor, encode_cursor
from migrator_gateway.api.errors import ApiError
from migrator_gateway.auth.api_keys import KEY_FORMAT, hash_key, new_key, parse_bootstrap

pytestmark = pytest.mark.unit


def test_new_keys_are_unique_well_formed_and_stored_only_as_hashes() -> None:
    keys = {new_key() for _ in range(100)}
    assert len(keys) == 100 and all(KEY_FORMAT.match(k) and k.startswith("tmk_test_") for k in keys)
    assert new_key(live=True).startswith("tmk_live_")
    key = new_key()
    assert hash_key(key) != key and len(hash_key(key)) == 64 and key not in hash_key(key)


def test_bootstrap_keys_parse_and_reject_malformed_entries() -> None:
    assert parse_bootstrap("org_a:tmk_test_x, org_b:tmk_live_y") == [
        ("org_a", "tmk_test_x"),
        ("org_b", "tmk_live_y"),
    ]
    assert parse_bootstrap("") == []
    with pytest.raises(ValueError, match="orgId:apiKey"):
        parse_bootstrap("org_a")


def test_cursor_round_trips_and_garbage_is_a_validation_error() -> None:
    cursor = encode_cursor("2026-05-09T08:00:00Z", "job_01HY2MQR")
    assert cursor.startswith("cur_")
    assert decode_cursor(cursor) == ("2026-05-09T08:00:00Z", "job_01HY2MQR")
    for bad in ("cur_garbage", "nope", "cur_" + "A" * 10):
        with pytest.raises(ApiError) as raised:
            decode_cursor(bad)
        assert raised.value.status == 400 and raised.value.code == "VALIDATION_ERROR"
