"""The delivery-row protocol on SQLite and PostgreSQL: one claim wins, fences hold, retries come due."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from dbtest import db_url_fixture  # noqa: F401

from bot.store import Store
from bot.store import deliveries as d

SLOT = datetime(2025, 3, 30, 7, 0, tzinfo=UTC)
NOW = SLOT + timedelta(seconds=2)
LEASE = timedelta(minutes=10)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store(db_url)
    yield s
    s.close()


@pytest.fixture
def sub_id(store: Store) -> int:
    return store.add_subscription("slack", "C1", "08:00", "Europe/London").id


def row(store: Store, sub_id: int) -> d.Delivery:
    [found] = [x for x in d.list_deliveries(store, 100) if x.subscription_id == sub_id and x.slot == SLOT]
    return found


def test_one_claim_per_slot(store: Store, sub_id: int) -> None:
    assert d.claim(store, sub_id, SLOT, "a", NOW)
    assert not d.claim(store, sub_id, SLOT, "b", NOW)
    assert not d.claim(store, sub_id, SLOT, "a", NOW)  # not even its own holder twice
    got = row(store, sub_id)
    assert (got.status, got.claimed_by, got.claimed_at, got.attempts) == (d.CLAIMED, "a", NOW, 0)
    assert got.slot == SLOT and got.slot.tzinfo is not None


def test_concurrent_claims_from_separate_connections_have_one_winner(db_url: str, sub_id: int) -> None:
    stores = [Store(db_url, run_migrations=False) for _ in range(6)]
    start = threading.Barrier(len(stores))
    wins: list[str] = []

    def contend(i: int) -> None:
        start.wait()
        if d.claim(stores[i], sub_id, SLOT, f"proc-{i}", NOW):
            wins.append(f"proc-{i}")

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.close()
    assert len(wins) == 1


def test_the_full_happy_path_records_the_post_and_moves_the_channel_mark(store: Store, sub_id: int) -> None:
    assert d.claim(store, sub_id, SLOT, "a", NOW)
    assert d.mark_sending(store, sub_id, SLOT, "a", claimed_at=NOW, now=NOW) == 1
    assert d.mark_sent(store, sub_id, SLOT, "a", NOW, message_ref="ts-1", article_ids=[3, 5])
    got = row(store, sub_id)
    assert (got.status, got.sent_at, got.message_ref, got.article_ids, got.attempts) == (
        d.SENT, NOW, "ts-1", (3, 5), 1)
    sub = store.get_subscription(sub_id)
    assert sub is not None and sub.last_digest_at == NOW
    assert not d.claim(store, sub_id, SLOT, "b", NOW + timedelta(days=1))  # finished rows stay finished


def test_sending_is_fenced_on_the_claim(store: Store, sub_id: int) -> None:
    assert d.claim(store, sub_id, SLOT, "a", NOW)
    assert d.mark_sending(store, sub_id, SLOT, "b", claimed_at=NOW, now=NOW) is None  # not the holder
    later = NOW + LEASE + timedelta(seconds=1)
    assert d.claim(store, sub_id, SLOT, "b", later, lease=LEASE)  # a's lease ran out before it sent
    assert d.mark_sending(store, sub_id, SLOT, "a", claimed_at=NOW, now=later) is None  # a lost it
    assert d.mark_sending(store, sub_id, SLOT, "b", claimed_at=later, now=later) == 1


def test_a_live_claim_is_not_taken_over(store: Store, sub_id: int) -> None:
    assert d.claim(store, sub_id, SLOT, "a", NOW)
    assert not d.claim(store, sub_id, SLOT, "b", NOW + LEASE - timedelta(seconds=1), lease=LEASE)
    assert d.due_retries(store, NOW + LEASE - timedelta(seconds=1), lease=LEASE) == []
    [stale] = d.due_retries(store, NOW + LEASE, lease=LEASE)
    assert (stale.subscription_id, stale.status) == (sub_id, d.CLAIMED)


def test_failed_sends_come_due_for_retry_at_their_time(store: Store, sub_id: int) -> None:
    assert d.claim(store, sub_id, SLOT, "a", NOW)
    assert d.mark_sending(store, sub_id, SLOT, "a", claimed_at=NOW, now=NOW) == 1
    retry_at = NOW + timedelta(minutes=1)
    assert d.mark_failed(store, sub_id, SLOT, "a", error="HTTP 503", next_attempt_at=retry_at)
    assert d.due_retries(store, retry_at - timedelta(seconds=1)) == []
    assert not d.claim(store, sub_id, SLOT, "b", retry_at - timedelta(seconds=1))
    [due] = d.due_retries(store, retry_at)
    assert (due.status, due.last_error, due.attempts) == (d.FAILED, "HTTP 503", 1)
    assert d.claim(store, sub_id, SLOT, "b", retry_at)
    assert d.mark_sending(store, sub_id, SLOT, "b", claimed_at=retry_at, now=retry_at) == 2


def test_a_final_failure_is_never_retried(store: Store, sub_id: int) -> None:
    assert d.claim(store, sub_id, SLOT, "a", NOW)
    assert d.mark_sending(store, sub_id, SLOT, "a", claimed_at=NOW, now=NOW) == 1
    assert d.mark_failed(store, sub_id, SLOT, "a", error="x" * 5000, next_attempt_at=None)
    assert d.due_retries(store, NOW + timedelta(days=1)) == []
    assert not d.claim(store, sub_id, SLOT, "b", NOW + timedelta(days=1))
    assert len(row(store, sub_id).last_error or "") == d.MAX_ERROR_CHARS


def test_a_send_interrupted_by_a_crash_becomes_unconfirmed_and_is_never_retaken(store: Store, sub_id: int) -> None:
    assert d.claim(store, sub_id, SLOT, "a", NOW)
    assert d.mark_sending(store, sub_id, SLOT, "a", claimed_at=NOW, now=NOW) == 1
    assert d.mark_interrupted(store, NOW + LEASE - timedelta(seconds=1), lease=LEASE) == []
    [lost] = d.mark_interrupted(store, NOW + LEASE, lease=LEASE)
    assert (lost.status, lost.subscription_id) == (d.UNCONFIRMED, sub_id)
    assert "may have been posted" in (row(store, sub_id).last_error or "")
    assert not d.claim(store, sub_id, SLOT, "b", NOW + timedelta(hours=1))
    assert d.due_retries(store, NOW + timedelta(hours=1)) == []
    # The original holder was only slow: its confirmation still wins, since it knows the post went out.
    assert d.mark_sent(store, sub_id, SLOT, "a", NOW + LEASE, message_ref="m1", article_ids=[])
    assert row(store, sub_id).status == d.SENT


def test_skipping_records_unclaimed_slots_and_our_own_claims_only(store: Store, sub_id: int) -> None:
    assert d.mark_skipped(store, sub_id, SLOT, "a", NOW, reason="missed by 3 h")
    assert (row(store, sub_id).status, row(store, sub_id).last_error) == (d.SKIPPED, "missed by 3 h")
    assert not d.mark_skipped(store, sub_id, SLOT, "b", NOW, reason="again")
    other = SLOT + timedelta(days=1)
    assert d.claim(store, sub_id, other, "a", other)
    assert not d.mark_skipped(store, sub_id, other, "b", other, reason="not mine")
    assert d.mark_skipped(store, sub_id, other, "a", other, reason="no new stories")
    assert {x.status for x in d.list_deliveries(store)} == {d.SKIPPED}


def test_listing_is_newest_first_filterable_and_rejects_unknown_statuses(store: Store, sub_id: int) -> None:
    for day in range(3):
        slot = SLOT + timedelta(days=day)
        assert d.claim(store, sub_id, slot, "a", slot)
    assert d.mark_skipped(store, sub_id, SLOT, "a", SLOT, reason="r")
    listed = d.list_deliveries(store, limit=2)
    assert [x.slot for x in listed] == [SLOT + timedelta(days=2), SLOT + timedelta(days=1)]
    assert (listed[0].platform, listed[0].channel_id, listed[0].timezone) == ("slack", "C1", "Europe/London")
    assert [x.slot for x in d.list_deliveries(store, status=d.SKIPPED)] == [SLOT]
    with pytest.raises(ValueError, match="unknown delivery status"):
        d.list_deliveries(store, status="posted")
    assert d.recorded_slots(store, SLOT + timedelta(hours=1)) == {
        (sub_id, SLOT + timedelta(days=1)), (sub_id, SLOT + timedelta(days=2))}


def test_removing_a_subscription_removes_its_deliveries(store: Store, sub_id: int) -> None:
    assert d.claim(store, sub_id, SLOT, "a", NOW)
    assert store.remove_subscription("slack", "C1")
    assert d.list_deliveries(store) == []
    assert not d.claim(store, sub_id, SLOT, "a", NOW)  # the subscription is gone: nothing to claim


def test_subscription_created_times(store: Store, sub_id: int) -> None:
    created = d.subscription_created(store, [sub_id, 999])
    assert list(created) == [sub_id] and created[sub_id].tzinfo is not None
    assert d.subscription_created(store, []) == {}
