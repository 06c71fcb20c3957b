"""The outbox's pacing against the stand-in's model of Telegram's flood limits, on a virtual clock.

Messages leave at the pace `Pacing` allows and arrive after a random network/scheduling delay;
`FloodLimits` (what the stand-in enforces) judges them in arrival order. Without a margin, jitter
makes some arrive too close together and each such 429 wastes a slot; with the shipped margin none
does, and the pace stays Telegram's.
"""
from __future__ import annotations

import random

import pytest

from bot.config import OutboxConfig
from bot.outbox import Pacing
from standin.params import ApiError
from standin.traffic import FloodLimits


def play(config: OutboxConfig, messages: int, chats: int, jitter: float, seed: int = 3) -> tuple[int, float]:
    """Send `messages` round-robin over `chats` as the outbox would; return (429s, time of the last send)."""
    rng = random.Random(seed)
    now = 0.0
    pacing = Pacing(config, now)
    queue = [i % chats for i in range(messages)]
    arrivals = []
    while queue:
        waiting = {c: pacing.chat_wait(c, now) for c in dict.fromkeys(queue)}
        ready = [c for c, wait in waiting.items() if wait == 0]
        wait = max(pacing.overall_wait(now), 0 if ready else min(waiting.values()))
        if wait > 0:
            now += max(wait, 1e-9)  # a float step too small to move `now` would loop forever
            continue
        chat = ready[0]
        queue.remove(chat)
        pacing.take(chat)
        arrivals.append((now + rng.uniform(0, jitter), chat))
    arrivals.sort()
    clock = iter(at for at, _ in arrivals)
    limits = FloodLimits(clock=lambda: next(clock))
    refused = 0
    for _, chat in arrivals:
        try:
            limits.admit(chat)
        except ApiError:
            refused += 1
    return refused, now


def test_without_a_margin_jitter_overdraws_telegrams_bucket():
    refused, _ = play(OutboxConfig(margin_seconds=0), 900, 90, jitter=0.03)
    assert refused > 0


@pytest.mark.parametrize("chats", [1, 10, 300])
def test_the_shipped_margin_absorbs_jitter_and_keeps_the_pace(chats):
    config = OutboxConfig()
    messages = 900
    refused, last = play(config, messages, chats, jitter=0.08)
    assert refused == 0
    ideal = max((messages - 30) / config.global_per_second,
                (messages / chats - config.per_chat_burst) / config.per_chat_per_second)
    assert last <= ideal + 2 * config.margin_seconds
