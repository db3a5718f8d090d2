"""Which topics a student should learn next, and type-to-search over a syllabus.

A suggestion is a topic of the subject, in syllabus order (`order_index`), that the student has
not completed or mastered and whose prerequisite topics are all completed or mastered.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from institute_core.enums import ActiveStatus, ProgressStatus
from institute_core.schema import StudentTopicProgress, Topic, TopicPrerequisite
from institute_core.services.common import TopicRef

DONE = frozenset({ProgressStatus.COMPLETED.value, ProgressStatus.MASTERED.value})


@dataclass(frozen=True)
class Syllabus:
    """The active topics of one subject in order, with their prerequisites."""

    subject_id: uuid.UUID
    topics: tuple[TopicRef, ...]
    prerequisites: Mapping[uuid.UUID, frozenset[uuid.UUID]]

    def search(self, text: str, limit: int = 20) -> tuple[TopicRef, ...]:
        """Topics whose name contains every word typed, in syllabus order."""
        words = text.lower().split()
        found = [t for t in self.topics if all(w in t.name.lower() for w in words)]
        return tuple(found[:limit])


def load_syllabus(session: Session, subject_id: uuid.UUID) -> Syllabus:
    """Read a subject's syllabus once; suggestions for many students reuse it."""
    topics = tuple(TopicRef(r.id, r.name, r.order_index) for r in session.execute(
        select(Topic.id, Topic.name, Topic.order_index)
        .where(Topic.subject_id == subject_id, Topic.deleted_at.is_(None),
               Topic.status == ActiveStatus.ACTIVE)
        .order_by(Topic.order_index, Topic.name)))
    prereqs: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    ids = [t.id for t in topics]
    if ids:
        for row in session.execute(select(TopicPrerequisite.topic_id,
                                          TopicPrerequisite.prerequisite_id)
                                   .where(TopicPrerequisite.topic_id.in_(ids),
                                          TopicPrerequisite.deleted_at.is_(None))):
            prereqs[row.topic_id].add(row.prerequisite_id)
    return Syllabus(subject_id, topics, {k: frozenset(v) for k, v in prereqs.items()})


def progress_statuses(session: Session, student_ids: Iterable[uuid.UUID],
                      topic_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, dict[uuid.UUID, str]]:
    """student -> topic -> progress status, for the given students and topics."""
    students, topics = list(student_ids), list(topic_ids)
    result: dict[uuid.UUID, dict[uuid.UUID, str]] = defaultdict(dict)
    if not students or not topics:
        return result
    rows = session.execute(select(StudentTopicProgress.student_id, StudentTopicProgress.topic_id,
                                  StudentTopicProgress.status)
                           .where(StudentTopicProgress.student_id.in_(students),
                                  StudentTopicProgress.topic_id.in_(topics),
                                  StudentTopicProgress.deleted_at.is_(None)))
    for row in rows:
        result[row.student_id][row.topic_id] = row.status
    return result


def subject_statuses(session: Session, student_ids: Iterable[uuid.UUID],
                     subject_id: uuid.UUID) -> dict[uuid.UUID, dict[uuid.UUID, str]]:
    """student -> topic -> progress status, for every topic of one subject."""
    topic_ids = session.execute(select(Topic.id).where(Topic.subject_id == subject_id)).scalars()
    return progress_statuses(session, student_ids, topic_ids)


def next_topics(syllabus: Syllabus, statuses: Mapping[uuid.UUID, str],
                limit: int = 3) -> tuple[TopicRef, ...]:
    """The next `limit` topics for a student whose progress statuses are `statuses`."""
    done = {topic for topic, status in statuses.items() if status in DONE}
    found: list[TopicRef] = []
    for topic in syllabus.topics:
        if topic.id in done:
            continue
        if syllabus.prerequisites.get(topic.id, frozenset()) <= done:
            found.append(topic)
            if len(found) == limit:
                break
    return tuple(found)


def suggest_for_student(session: Session, student_id: uuid.UUID, subject_id: uuid.UUID,
                        limit: int = 3) -> tuple[TopicRef, ...]:
    """Convenience for one student: load the syllabus and progress, then suggest."""
    syllabus = load_syllabus(session, subject_id)
    statuses = progress_statuses(session, [student_id], [t.id for t in syllabus.topics])
    return next_topics(syllabus, statuses.get(student_id, {}), limit)
