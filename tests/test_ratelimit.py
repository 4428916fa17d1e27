from bot.briefing.ratelimit import RateLimiter


def test_rate_limiter_sliding_window() -> None:
    now = [0.0]
    rl = RateLimiter(2, 60.0, clock=lambda: now[0])
    assert rl.retry_after("u") == 0 and rl.retry_after("u") == 0
    assert rl.retry_after("u") == 60.0
    assert rl.retry_after("other") == 0
    now[0] = 30.0
    assert rl.retry_after("u") == 30.0
    now[0] = 60.0
    assert rl.retry_after("u") == 0
