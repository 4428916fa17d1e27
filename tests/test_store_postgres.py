"""What only PostgreSQL can get wrong: session time zones, aborted transactions after a lost claim race.

Runs when BRIEFBOT_TEST_DATABASE_URL is set (CI starts a local server with notes/postgres_ci.sh); the
delivery and scheduler tests also run there through `dbtest.db_url_fixture`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from dbtest import postgres_url, reset_database
from sqlalchemy import inspect, text

from bot.store import Store
from bot.store import deliveries as d

pytestmark = pytest.mark.postgres

SLOT = datetime(2025, 10, 26, 0, 30, 0, 123456, tzinfo=UTC)


@pytest.fixture
def pg_url() -> str:
    url = postgres_url()
    reset_database(url)
    return url


def test_slot_instants_do_not_depend_on_the_session_time_zone(pg_url: str) -> None:
    """The delivery key must be the same instant whatever TimeZone a connection happens to use."""
    store = Store(pg_url)
    sep = "&" if "?" in pg_url else "?"
    new_york = Store(f"{pg_url}{sep}options={quote('-c timezone=America/New_York')}", run_migrations=False)
    try:
        with new_york.engine.connect() as conn:
            assert conn.execute(text("SHOW TimeZone")).scalar_one() == "America/New_York"
        sub = store.add_subscription("slack", "C1", "01:30", "Europe/London")
        assert d.claim(new_york, sub.id, SLOT, "ny", SLOT)
        assert not d.claim(store, sub.id, SLOT, "utc", SLOT)  # same key seen from a UTC session
        [row] = d.list_deliveries(store)
        assert row.slot == SLOT and row.claimed_at == SLOT
        assert d.mark_sending(store, sub.id, SLOT, "ny", claimed_at=SLOT, now=SLOT) == 1
    finally:
        new_york.close()
        store.close()


def test_a_lost_claim_race_leaves_the_connection_usable(pg_url: str) -> None:
    """PostgreSQL aborts a transaction on a unique violation; the pooled connection must not stay aborted."""
    store = Store(pg_url)
    try:
        sub = store.add_subscription("slack", "C1", "08:00", "UTC")
        assert d.claim(store, sub.id, SLOT, "a", SLOT)
        for _ in range(3):
            assert not d.claim(store, sub.id, SLOT, "b", SLOT + timedelta(seconds=1))
        assert store.list_subscriptions()[0].id == sub.id
    finally:
        store.close()


def test_reset_leaves_an_empty_schema(pg_url: str) -> None:
    store = Store(pg_url)
    store.close()
    reset_database(pg_url)
    store = Store(pg_url, run_migrations=False)
    try:
        assert inspect(store.engine).get_table_names() == []
    finally:
        store.close()
