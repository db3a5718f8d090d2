"""How teaching moves through a subject's topics, session by session."""

from __future__ import annotations

import random
import uuid

MAX_REVIEW_TRIES = 3
REVIEW_CHANCE = 0.12


def rating(rng: random.Random, aptitude: float, boost: float = 0.0) -> int:
    """An understanding level 1..5 around the student's aptitude."""
    return min(5, max(1, round(rng.gauss(aptitude + boost, 0.9))))


class TopicWalk:
    """An individual student's path: new topics in order, re-teaching what was rated 2 or less.

    A topic rated 2 or less is taught again next session (a little better each time, at most
    three tries), and now and then an earlier topic is revisited; the walk is done when every
    topic is covered and none waits for re-teaching.
    """

    def __init__(self, topics: list[uuid.UUID]) -> None:
        self.topics = topics
        self.pointer = 0
        self.queue: list[uuid.UUID] = []
        self.tries: dict[uuid.UUID, int] = {}

    @property
    def done(self) -> bool:
        return self.pointer >= len(self.topics) and not self.queue

    def next_cover(self, rng: random.Random) -> list[uuid.UUID]:
        cover: list[uuid.UUID] = []
        if self.queue:
            cover.append(self.queue[0])
        new = 1 if cover else rng.choice((1, 1, 2))
        while new and self.pointer < len(self.topics):
            cover.append(self.topics[self.pointer])
            self.pointer += 1
            new -= 1
        if self.pointer > 3 and rng.random() < REVIEW_CHANCE:
            earlier = self.topics[rng.randrange(0, self.pointer - 1)]
            if earlier not in cover:
                cover.append(earlier)
        return cover

    def rate(self, rng: random.Random, topic: uuid.UUID, aptitude: float) -> int:
        tries = self.tries.get(topic, 0)
        level = rating(rng, aptitude, boost=0.5 * tries)
        if tries >= MAX_REVIEW_TRIES:
            level = max(level, 3)
        if level <= 2:
            self.tries[topic] = tries + 1
            if topic not in self.queue:
                self.queue.append(topic)
        elif topic in self.queue:
            self.queue.remove(topic)
        return level

    def upcoming(self) -> list[uuid.UUID]:
        return self.queue[:1] + self.topics[self.pointer:self.pointer + 1]


class BatchWalk:
    """A batch moves at the group's pace: one or two new topics a session, whoever struggles."""

    def __init__(self, topics: list[uuid.UUID]) -> None:
        self.topics = topics
        self.pointer = 0

    @property
    def done(self) -> bool:
        return self.pointer >= len(self.topics)

    def next_cover(self, rng: random.Random) -> list[uuid.UUID]:
        new = rng.choice((1, 2, 2))
        cover = self.topics[self.pointer:self.pointer + new]
        self.pointer += len(cover)
        if self.pointer > 3 and rng.random() < REVIEW_CHANCE:
            earlier = self.topics[rng.randrange(0, self.pointer - 2)]
            if earlier not in cover:
                cover.append(earlier)
        return cover
