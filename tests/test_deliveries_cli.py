"""`briefbot subscriptions` and `briefbot deliveries`: operator views of schedules and of each slot's fate."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.cli import main
from bot.settings import get_settings
from bot.store import Store
from bot.store import deliveries as d


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def store() -> Iterator[Store]:
    s = Store(get_settings().database_url)  # the database the CLI opens (a temp file, see conftest)
    yield s
    s.close()


def test_subscriptions_add_list_and_remove(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["subscriptions"], capsys)
    assert code == 0 and "No subscriptions" in out

    code, out, _ = run(["subscriptions", "add", "slack", "<#C42|politics>", "7:05", "Europe/London"], capsys)
    assert code == 0 and "slack C42: daily digest at 07:05 Europe/London" in out
    assert run(["subscriptions", "add", "discord", "123", "18:00", "America/New_York"], capsys)[0] == 0
    [sub] = store.list_subscriptions("slack")
    assert (sub.channel_id, sub.time, sub.timezone, sub.created_by) == ("C42", "07:05", "Europe/London", "cli")

    code, out, _ = run(["subscriptions"], capsys)
    header, *rows = out.strip().splitlines()
    assert header.split()[:5] == ["ID", "PLATFORM", "CHANNEL", "TIME", "TIMEZONE"]
    assert len(rows) == 2
    slack_row = next(r for r in rows if " C42 " in r)
    next_utc = datetime.strptime(re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d", slack_row)[0], "%Y-%m-%d %H:%M")
    ahead = next_utc.replace(tzinfo=UTC) - datetime.now(UTC)
    assert timedelta(0) < ahead <= timedelta(days=1)

    code, out, _ = run(["subscriptions", "--platform", "discord"], capsys)
    assert code == 0 and " 123 " in out and "C42" not in out

    code, out, _ = run(["subscriptions", "remove", "slack", "C42"], capsys)
    assert code == 0 and "stopped" in out
    assert [s.channel_id for s in store.list_subscriptions()] == ["123"]


@pytest.mark.parametrize(("argv", "message"), [
    (["subscriptions", "add", "slack", "C1", "25:00", "UTC"], "is not a time"),
    (["subscriptions", "add", "slack", "C1", "08:00", "Mars/Olympus"], "is not a known time zone"),
    (["subscriptions", "add", "teams", "C1", "08:00", "UTC"], "invalid choice"),
    (["subscriptions", "add", "slack", "C1"], "required"),
    (["deliveries", "--limit", "0"], "must be at least 1"),
    (["deliveries", "--limit", "ten"], "not a whole number"),
    (["deliveries", "--status", "posted"], "invalid choice"),
])
def test_bad_arguments_are_usage_errors(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(argv, capsys)
    assert code == 2 and message in err


def test_removing_an_unknown_subscription_fails_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["subscriptions", "remove", "slack", "C404"], capsys)
    assert code == 1 and err.strip() == "briefbot: slack channel C404 has no subscription"


def test_deliveries_show_each_slot_status_retry_and_message(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["deliveries"], capsys)
    assert code == 0 and "No deliveries yet" in out
    sub = store.add_subscription("slack", "C1", "08:00", "Europe/London")
    sent, failed = datetime(2025, 6, 2, 7, tzinfo=UTC), datetime(2025, 6, 3, 7, tzinfo=UTC)
    assert d.claim(store, sub.id, sent, "proc-a", sent)
    assert d.mark_sending(store, sub.id, sent, "proc-a", claimed_at=sent, now=sent) == 1
    assert d.mark_sent(store, sub.id, sent, "proc-a", sent, message_ref="1717311600.000100", article_ids=[1])
    assert d.claim(store, sub.id, failed, "proc-a", failed)
    assert d.mark_sending(store, sub.id, failed, "proc-a", claimed_at=failed, now=failed) == 1
    assert d.mark_failed(store, sub.id, failed, "proc-a", error="SlackApiError: ratelimited",
                         next_attempt_at=failed + timedelta(minutes=1))

    code, out, _ = run(["deliveries"], capsys)
    assert code == 0
    header, newest, oldest = out.strip().splitlines()
    assert header.split()[:3] == ["SLOT", "(UTC)", "LOCAL"]
    assert newest.startswith("2025-06-03 07:00  2025-06-03 08:00  slack")
    assert " failed " in newest and "retry 2025-06-03 07:01; SlackApiError: ratelimited" in newest
    assert " sent " in oldest and "message 1717311600.000100" in oldest

    code, out, _ = run(["deliveries", "--status", "sent", "--limit", "5"], capsys)
    assert code == 0 and len(out.strip().splitlines()) == 2 and " sent " in out
    code, out, _ = run(["deliveries", "--status", "unconfirmed"], capsys)
    assert code == 0 and "No deliveries with status unconfirmed" in out
    code, out, _ = run(["deliveries", "--limit", "1"], capsys)
    assert len(out.strip().splitlines()) == 2 and "2025-06-03" in out
