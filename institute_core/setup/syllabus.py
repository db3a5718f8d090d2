"""Subjects and topics: order, resources and prerequisites (a cycle is refused, named).

Prerequisite rows have natural ids (topic, prerequisite); removing one soft-deletes it and
adding it again brings the same row back, so two desks doing the same merge cleanly.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from institute_core.ids import natural_id
from institute_core.replica import Actor, Replica
from institute_core.schema import Subject, SubjectPrerequisite, Synced, Topic, TopicPrerequisite
from institute_core.schema.types import utcnow
from institute_core.setup.access import HasRole, require_admin
from institute_core.validation import InvalidInput

RESOURCE_KINDS = ("links", "files", "videos", "documents")


class PrerequisiteCycle(InvalidInput):
    """Adding the prerequisite would close a loop; `cycle` names it, first item repeated last."""

    def __init__(self, table: str, cycle: list[str]) -> None:
        self.cycle = cycle
        super().__init__(table, "prerequisite_id",
                         "would make a cycle: " + " → ".join(cycle))


def _path(graph: dict[uuid.UUID, set[uuid.UUID]], start: uuid.UUID,
          goal: uuid.UUID) -> list[uuid.UUID] | None:
    """A path start → … → goal following `graph` edges (item → its prerequisites), or None."""
    stack: list[tuple[uuid.UUID, list[uuid.UUID]]] = [(start, [start])]
    seen = {start}
    while stack:
        node, path = stack.pop()
        if node == goal:
            return path
        for nxt in sorted(graph.get(node, ()), key=str):
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


def _add_prerequisite(session: Session, model: type[Synced], owner: str, item: uuid.UUID,
                      prerequisite: uuid.UUID, name_of: Callable[[uuid.UUID], str]) -> None:
    table = model.__tablename__  # type: ignore[attr-defined]
    if item == prerequisite:
        raise PrerequisiteCycle(table, [name_of(item), name_of(item)])
    column = getattr(model, owner)
    graph: dict[uuid.UUID, set[uuid.UUID]] = {}
    for a, b in session.execute(select(column, model.prerequisite_id).where(  # type: ignore[attr-defined]
            model.deleted_at.is_(None))):
        graph.setdefault(a, set()).add(b)
    # item needs prerequisite; a loop exists if prerequisite already (transitively) needs item.
    back = _path(graph, prerequisite, item)
    if back is not None:
        raise PrerequisiteCycle(table, [name_of(n) for n in [item, *back]])
    row_id = natural_id(table, item, prerequisite)
    existing = session.get(model, row_id)
    if existing is None:
        session.add(model(**{owner: item, "prerequisite_id": prerequisite}))
    elif existing.deleted_at is not None:
        existing.deleted_at = None


def _remove_prerequisite(session: Session, model: type[Synced], item: uuid.UUID,
                         prerequisite: uuid.UUID) -> None:
    existing = session.get(model, natural_id(model.__tablename__,  # type: ignore[attr-defined]
                                              item, prerequisite))
    if existing is not None and existing.deleted_at is None:
        existing.deleted_at = utcnow()


def _topic_names(session: Session) -> Callable[[uuid.UUID], str]:
    def name(topic_id: uuid.UUID) -> str:
        topic = session.get(Topic, topic_id)
        return topic.name if topic is not None else str(topic_id)
    return name


def _subject_names(session: Session) -> Callable[[uuid.UUID], str]:
    def name(subject_id: uuid.UUID) -> str:
        subject = session.get(Subject, subject_id)
        return subject.code if subject is not None else str(subject_id)
    return name


def add_topic_prerequisite(replica: Replica, actor: Actor, viewer: HasRole,
                           topic_id: uuid.UUID, prerequisite_id: uuid.UUID) -> None:
    """`topic_id` needs `prerequisite_id` first; raises PrerequisiteCycle naming the loop."""
    require_admin(viewer, "change the syllabus", "setup.syllabus.manage")
    with replica.write(actor) as session:
        _add_prerequisite(session, TopicPrerequisite, "topic_id", topic_id, prerequisite_id,
                          _topic_names(session))


def remove_topic_prerequisite(replica: Replica, actor: Actor, viewer: HasRole,
                              topic_id: uuid.UUID, prerequisite_id: uuid.UUID) -> None:
    require_admin(viewer, "change the syllabus", "setup.syllabus.manage")
    with replica.write(actor) as session:
        _remove_prerequisite(session, TopicPrerequisite, topic_id, prerequisite_id)


def add_subject_prerequisite(replica: Replica, actor: Actor, viewer: HasRole,
                             subject_id: uuid.UUID, prerequisite_id: uuid.UUID) -> None:
    require_admin(viewer, "change the syllabus", "setup.syllabus.manage")
    with replica.write(actor) as session:
        _add_prerequisite(session, SubjectPrerequisite, "subject_id", subject_id,
                          prerequisite_id, _subject_names(session))


def remove_subject_prerequisite(replica: Replica, actor: Actor, viewer: HasRole,
                                subject_id: uuid.UUID, prerequisite_id: uuid.UUID) -> None:
    require_admin(viewer, "change the syllabus", "setup.syllabus.manage")
    with replica.write(actor) as session:
        _remove_prerequisite(session, SubjectPrerequisite, subject_id, prerequisite_id)


def save_subject(replica: Replica, actor: Actor, viewer: HasRole,
                 subject_id: uuid.UUID | None = None, **fields: Any) -> uuid.UUID:
    """Create a subject (no id) or change its fields."""
    require_admin(viewer, "change the syllabus", "setup.syllabus.manage")
    with replica.write(actor) as session:
        subject = session.get(Subject, subject_id) if subject_id else None
        if subject is None:
            subject = Subject(id=subject_id or uuid.uuid4(), **fields)
            session.add(subject)
        else:
            for key, value in fields.items():
                setattr(subject, key, value)
        return subject.id


def save_topic(replica: Replica, actor: Actor, viewer: HasRole, subject_id: uuid.UUID,
               topic_id: uuid.UUID | None = None, **fields: Any) -> uuid.UUID:
    """Create a topic at the end of its subject (no id) or change its fields."""
    require_admin(viewer, "change the syllabus", "setup.syllabus.manage")
    if "resources" in fields:
        fields["resources"] = clean_resources(fields["resources"])
    with replica.write(actor) as session:
        topic = session.get(Topic, topic_id) if topic_id else None
        if topic is None:
            last = session.scalars(select(Topic.order_index).where(
                Topic.subject_id == subject_id, Topic.deleted_at.is_(None))
                .order_by(Topic.order_index.desc())).first()
            fields.setdefault("order_index", 0 if last is None else last + 1)
            topic = Topic(id=topic_id or uuid.uuid4(), subject_id=subject_id, **fields)
            session.add(topic)
        else:
            for key, value in fields.items():
                setattr(topic, key, value)
        return topic.id


def clean_resources(resources: dict[str, Any] | None) -> dict[str, list[str]]:
    """Resources as lists of links or file paths per kind; blank entries dropped."""
    cleaned: dict[str, list[str]] = {}
    for kind, entries in (resources or {}).items():
        if kind not in RESOURCE_KINDS:
            raise InvalidInput("topics", "resources", "unknown kind of resource; use one of "
                               + ", ".join(RESOURCE_KINDS), kind)
        values = [str(e).strip() for e in entries or [] if str(e).strip()]
        if values:
            cleaned[kind] = values
    return cleaned


def reorder_topics(replica: Replica, actor: Actor, viewer: HasRole, subject_id: uuid.UUID,
                   ordered: Sequence[uuid.UUID]) -> None:
    """Give the subject's topics the order of `ordered` (every live topic, each once)."""
    require_admin(viewer, "change the syllabus", "setup.syllabus.manage")
    with replica.write(actor) as session:
        topics = {t.id: t for t in session.scalars(select(Topic).where(
            Topic.subject_id == subject_id, Topic.deleted_at.is_(None)))}
        if sorted(map(str, ordered)) != sorted(map(str, topics)):
            raise InvalidInput("topics", "order_index",
                               "the new order must list every topic of the subject once")
        for index, topic_id in enumerate(ordered):
            if topics[topic_id].order_index != index:
                topics[topic_id].order_index = index


@dataclass(frozen=True)
class TopicInfo:
    """A topic as the screens show and edit it (a plain value, safe across threads)."""

    id: uuid.UUID
    subject_id: uuid.UUID
    name: str
    description: str | None
    order_index: int
    estimated_duration_minutes: int
    difficulty_level: str | None
    learning_objectives: list[str] | None
    resources: dict[str, list[str]] | None
    status: str


@dataclass(frozen=True)
class SubjectInfo:
    """A subject's own fields, for the edit form."""

    id: uuid.UUID
    name: str
    code: str
    description: str | None
    duration_hours: int
    category: str | None
    difficulty_level: str | None
    status: str


def _topic_info(t: Topic) -> TopicInfo:
    return TopicInfo(t.id, t.subject_id, t.name, t.description, t.order_index,
                     t.estimated_duration_minutes, t.difficulty_level,
                     list(t.learning_objectives) if t.learning_objectives else None,
                     {k: list(v) for k, v in t.resources.items()} if t.resources else None,
                     t.status)


def topics_of(replica: Replica, subject_id: uuid.UUID) -> list[TopicInfo]:
    with replica.read() as session:
        return [_topic_info(t) for t in session.scalars(select(Topic).where(
            Topic.subject_id == subject_id, Topic.deleted_at.is_(None))
            .order_by(Topic.order_index, Topic.name))]


def other_subjects_topics(replica: Replica, subject_id: uuid.UUID
                          ) -> list[tuple[uuid.UUID, str]]:
    """(id, "CODE · topic") of every topic of the other subjects, by subject code then order:
    a topic may need one taught in another subject first."""
    with replica.read() as session:
        return [(tid, f"{code} · {name}") for tid, code, name in session.execute(
            select(Topic.id, Subject.code, Topic.name).join(Subject, Subject.id == Topic.subject_id)
            .where(Topic.subject_id != subject_id, Topic.deleted_at.is_(None),
                   Subject.deleted_at.is_(None))
            .order_by(Subject.code, Topic.order_index, Topic.name))]


def prerequisites_of(replica: Replica, topic_id: uuid.UUID) -> list[uuid.UUID]:
    with replica.read() as session:
        return list(session.scalars(select(TopicPrerequisite.prerequisite_id).where(
            TopicPrerequisite.topic_id == topic_id, TopicPrerequisite.deleted_at.is_(None))))


def subject_prerequisites_of(replica: Replica, subject_id: uuid.UUID) -> list[uuid.UUID]:
    """The subjects `subject_id` needs first."""
    with replica.read() as session:
        return list(session.scalars(select(SubjectPrerequisite.prerequisite_id).where(
            SubjectPrerequisite.subject_id == subject_id,
            SubjectPrerequisite.deleted_at.is_(None))))


def subject_info(replica: Replica, subject_id: uuid.UUID) -> SubjectInfo:
    with replica.read() as session:
        s = session.get(Subject, subject_id)
        if s is None or s.deleted_at is not None:
            raise InvalidInput("subjects", "id", "no such subject", str(subject_id))
        return SubjectInfo(s.id, s.name, s.code, s.description, s.duration_hours, s.category,
                           s.difficulty_level, s.status)


def subject_choices(replica: Replica) -> list[tuple[uuid.UUID, str]]:
    with replica.read() as session:
        return [(s.id, f"{s.code} · {s.name}") for s in session.scalars(
            select(Subject).where(Subject.deleted_at.is_(None)).order_by(Subject.code))]
