"""Subjects, topics and the prerequisites between them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from institute_core.enums import ActiveStatus, SubjectLevel, TopicDifficulty
from institute_core.schema.base import Base, Synced
from institute_core.schema.rules import checks, differs, not_blank, one_of, positive
from institute_core.schema.types import JsonDoc


class Subject(Synced, Base):
    __tablename__ = "subjects"
    __table_args__ = (
        UniqueConstraint("code"),
        *checks(
            one_of("difficulty_level", SubjectLevel),
            one_of("status", ActiveStatus),
            positive("duration_hours"),
            not_blank("name"),
            not_blank("code"),
        ),
    )

    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(50))
    description: Mapped[str | None] = mapped_column(Text)
    duration_hours: Mapped[int] = mapped_column(Integer)
    category: Mapped[str | None] = mapped_column(String(100))
    difficulty_level: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=ActiveStatus.ACTIVE,
                                        server_default=ActiveStatus.ACTIVE.value)


class SubjectPrerequisite(Synced, Base):
    """Seed 000's `subjects.prerequisites INTEGER[]`, one row per prerequisite."""

    __tablename__ = "subject_prerequisites"
    __natural_key__ = ("subject_id", "prerequisite_id")
    __table_args__ = (
        UniqueConstraint("subject_id", "prerequisite_id"),
        Index("ix_subject_prerequisites_prerequisite_id", "prerequisite_id"),
        *checks(differs("prerequisite_id", "subject_id", "the subject itself")),
    )

    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"))
    prerequisite_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"))


class Topic(Synced, Base):
    __tablename__ = "topics"
    __table_args__ = (
        Index("ix_topics_subject_id", "subject_id"),
        Index("ix_topics_subject_id_order_index", "subject_id", "order_index"),
        *checks(
            one_of("difficulty_level", TopicDifficulty),
            one_of("status", ActiveStatus),
            positive("estimated_duration_minutes"),
            not_blank("name"),
        ),
    )

    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    order_index: Mapped[int] = mapped_column(Integer)
    estimated_duration_minutes: Mapped[int] = mapped_column(Integer)
    difficulty_level: Mapped[str | None] = mapped_column(String(20))
    # Free-text objectives point at no rows, so they stay a JSON array.
    learning_objectives: Mapped[list[str] | None] = mapped_column(JsonDoc)
    # {"videos": [], "documents": [], "links": []}
    resources: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    status: Mapped[str] = mapped_column(String(20), default=ActiveStatus.ACTIVE,
                                        server_default=ActiveStatus.ACTIVE.value)


class TopicPrerequisite(Synced, Base):
    """Seed 000's `topics.prerequisites INTEGER[]`, one row per prerequisite."""

    __tablename__ = "topic_prerequisites"
    __natural_key__ = ("topic_id", "prerequisite_id")
    __table_args__ = (
        UniqueConstraint("topic_id", "prerequisite_id"),
        Index("ix_topic_prerequisites_prerequisite_id", "prerequisite_id"),
        *checks(differs("prerequisite_id", "topic_id", "the topic itself")),
    )

    topic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    prerequisite_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
