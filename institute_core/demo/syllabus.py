"""Demo subjects and topics, with prerequisites between topics and between subjects."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from institute_core.demo.catalog import SUBJECTS, TOPIC_SUFFIXES, SubjectSpec
from institute_core.demo.context import Context
from institute_core.enums import ActiveStatus, TopicDifficulty

MIN_TOPICS, MAX_TOPICS = 15, 30


@dataclass
class SubjectInfo:
    """A subject and its topics in teaching order."""

    id: uuid.UUID
    spec: SubjectSpec
    topics: list[uuid.UUID]
    minutes: int = 0  # estimated teaching minutes of all its topics


def _topic_names(ctx: Context, spec: SubjectSpec) -> list[str]:
    target = ctx.rng.randint(MIN_TOPICS, MAX_TOPICS)
    extras_wanted = max(0, target - 2 - len(spec.modules))
    pairs = [(m, s) for m in spec.modules for s in TOPIC_SUFFIXES]
    extras = set(ctx.rng.sample(pairs, min(extras_wanted, len(pairs))))
    names = [f"Introduction to {spec.name}"]
    for module in spec.modules:
        names.append(module)
        names.extend(f"{module}: {suffix}" for suffix in TOPIC_SUFFIXES
                     if (module, suffix) in extras)
    names.append("Revision and assessment")
    return names


def _difficulty(index: int, count: int) -> str:
    third = index * 3 // count
    return (TopicDifficulty.EASY, TopicDifficulty.MEDIUM, TopicDifficulty.HARD)[third].value


def make_syllabus(ctx: Context) -> dict[str, SubjectInfo]:
    """Subjects by code, each with 15-30 topics that build on the ones before."""
    rng = ctx.rng
    created = ctx.stamp(ctx.start - timedelta(days=60), 8)
    subjects: dict[str, SubjectInfo] = {}
    for spec in SUBJECTS:
        row = ctx.add("subjects", {
            "id": ctx.new_id(), "name": spec.name, "code": spec.code,
            "description": f"{spec.name}: " + ", ".join(spec.modules[:4]) + " and more.",
            "duration_hours": spec.hours, "category": spec.category,
            "difficulty_level": spec.level, "status": ActiveStatus.ACTIVE.value,
        }, created)
        subjects[spec.code] = SubjectInfo(row["id"], spec, [])
    for spec in SUBJECTS:
        for code in spec.requires:
            ctx.add("subject_prerequisites", {"subject_id": subjects[spec.code].id,
                                              "prerequisite_id": subjects[code].id}, created)
    for info in subjects.values():
        names = _topic_names(ctx, info.spec)
        for index, name in enumerate(names):
            row = ctx.add("topics", {
                "id": ctx.new_id(), "subject_id": info.id, "name": name,
                "description": f"{name} ({info.spec.name})", "order_index": index + 1,
                "estimated_duration_minutes": rng.choice((45, 60, 60, 90, 120)),
                "difficulty_level": _difficulty(index, len(names)),
                "learning_objectives": [f"Explain {name.lower()}", f"Apply {name.lower()}"],
                "resources": {"videos": [], "documents": [f"{info.spec.code}-{index + 1}.pdf"],
                              "links": []},
                "status": ActiveStatus.ACTIVE.value,
            }, created)
            info.topics.append(row["id"])
            info.minutes += row["estimated_duration_minutes"]
        for index in range(1, len(info.topics)):
            required = {index - 1}
            if index >= 4 and ctx.chance(0.2):
                required.add(index - rng.randint(2, 4))
            for before in sorted(required):
                ctx.add("topic_prerequisites", {"topic_id": info.topics[index],
                                                "prerequisite_id": info.topics[before]}, created)
    return subjects
