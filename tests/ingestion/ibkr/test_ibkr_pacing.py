import asyncio

from ibkr_fakes import run_virtual

from ingestion.ibkr.pacing import Pacer, PacingRules


async def _admit_all(pacer: Pacer, identities) -> list[float]:
    times = []
    for identity in identities:
        async with pacer.request(identity):
            times.append(pacer.clock.now())
    return times


def test_an_identical_request_waits_fifteen_seconds_and_a_different_one_does_not():
    pacer = Pacer()
    times = run_virtual(_admit_all(pacer, ["a", "b", "a", "a"]))
    assert times == [0.0, 0.0, 15.0, 30.0]


def test_the_sixty_first_request_waits_for_the_ten_minute_window_to_slide():
    pacer = Pacer()
    times = run_virtual(_admit_all(pacer, range(130)))
    assert times[:60] == [0.0] * 60
    assert times[60] == 600.001  # the first request leaves the window 1 ms after 600 s
    assert times[60:120] == [600.001] * 60
    assert times[120] == 1200.002
    for i, t in enumerate(times):
        in_window = [u for u in times if t - 600 < u <= t]
        assert len(in_window) <= 60, f"request {i} at {t}s is the {len(in_window)}th in 10 min"


def test_no_more_than_the_allowed_number_of_requests_are_open_at_once():
    pacer = Pacer(PacingRules(max_open_requests=50))
    open_now = max_open = 0

    async def one(identity):
        nonlocal open_now, max_open
        async with pacer.request(identity):
            open_now += 1
            max_open = max(max_open, open_now)
            await asyncio.sleep(1.0)  # stay open while the others try to get in
            open_now -= 1

    async def main():
        await asyncio.gather(*(one(i) for i in range(60)))

    run_virtual(main())
    assert max_open == 50


def test_rules_are_configurable():
    pacer = Pacer(PacingRules(identical_request_gap_s=2.0, requests_per_window=2, window_s=10.0))
    assert run_virtual(_admit_all(pacer, ["a", "a", "b"])) == [0.0, 2.0, 10.001]
