"""Cancellation of a client's older request, with many clients: forgetting one never cancels another."""

from __future__ import annotations

from tagscape.web.points import Generations


def test_a_new_request_cancels_only_the_same_clients_older_one():
    generations = Generations()
    first, other = generations.start("a"), generations.start("b")
    assert not first() and not other()
    generations.start("a")
    assert first() and not other()
    assert generations.start(None) is None


def test_many_clients_are_forgotten_one_at_a_time_without_cancelling_anyone():
    generations = Generations(max_clients=100)
    running = generations.start("long-request")
    others = [generations.start(f"client-{i}") for i in range(1000)]
    assert not running()  # forgotten, not cancelled (clearing all used to cancel every request)
    assert not any(cancel() for cancel in others)
    assert len(generations._current) == 100
    generations.start("client-999")
    assert others[999]()
