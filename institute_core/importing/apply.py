"""Preview, accept (one transaction, recorded as an import run) and undo an import as a whole."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from institute_core.audit.capture import IMPORT_KEY
from institute_core.importing.mapping import Mapping
from institute_core.importing.plan import ImportPlan, RowAction, build_plan
from institute_core.importing.reading import Sheet
from institute_core.replica import Actor, Replica
from institute_core.schema import MODEL_BY_TABLE, SYNCED_TABLES, AuditEntry, ImportRun
from institute_core.schema.audit import AuditAction, ImportStatus
from institute_core.schema.types import utcnow
from institute_core.setup.access import HasRole, require_admin
from institute_core.sync.codec import decode_value
from institute_core.validation import InvalidInput


class RowsRefused(ValueError):
    """Some rows are refused and the caller asked for all or nothing; nothing was written."""

    def __init__(self, plan: ImportPlan) -> None:
        self.plan = plan
        super().__init__(f"{len(plan.refused)} of {len(plan.rows)} rows are refused; "
                         "nothing was imported")


@dataclass(frozen=True)
class ImportOutcome:
    plan: ImportPlan
    run_id: uuid.UUID | None  # None: nothing to write (every row unchanged or refused)


def preview(replica: Replica, viewer: HasRole, kind: str, sheet: Sheet,
            mapping: Mapping) -> ImportPlan:
    """Validate every row; writes nothing."""
    require_admin(viewer, "import data")
    with replica.read() as session:
        return build_plan(session, kind, sheet, mapping)


def run_import(replica: Replica, actor: Actor, viewer: HasRole, kind: str, sheet: Sheet,
               mapping: Mapping, *, skip_refused: bool = True) -> ImportOutcome:
    """Validate again inside one transaction and write the good rows (refused rows are skipped,
    or with `skip_refused=False` make the whole import refused with RowsRefused)."""
    require_admin(viewer, "import data")
    with replica.write(actor) as session:
        plan = build_plan(session, kind, sheet, mapping)
        if plan.refused and not skip_refused:
            raise RowsRefused(plan)
        if not plan.writes:
            return ImportOutcome(plan, None)
        run = ImportRun(id=uuid.uuid4(), user_id=actor.user_id, kind=plan.kind,
                        file_name=sheet.name[:500], rows_created=plan.count(RowAction.CREATE),
                        rows_updated=plan.count(RowAction.UPDATE),
                        rows_unchanged=plan.count(RowAction.UNCHANGED))
        session.add(run)
        session.flush()  # the run's own entry is the `import` action, outside its changes
        session.info[IMPORT_KEY] = run.id
        # Parents first, one flush per table: the ORM orders inserts by relationships, and
        # these models declare only foreign keys.
        targets = [t for row in plan.writes for t in row.targets if t.does_something]
        for name in SYNCED_TABLES:
            with session.no_autoflush:
                for target in targets:
                    if target.model.__tablename__ == name:  # type: ignore[attr-defined]
                        target.write(session)
            session.flush()
        return ImportOutcome(plan, run.id)


def list_runs(replica: Replica, viewer: HasRole) -> list[ImportRun]:
    require_admin(viewer, "see imports")
    with replica.read() as session:
        return list(session.scalars(select(ImportRun).where(ImportRun.deleted_at.is_(None))
                                    .order_by(ImportRun.created_at.desc())))


def undo_import(replica: Replica, actor: Actor, viewer: HasRole, run_id: uuid.UUID) -> int:
    """Revert everything an import created or changed, newest first: rows it created are
    soft-deleted, fields it changed get their old values back. Returns rows touched.

    Raises InvalidInput when the import is unknown or already undone.
    """
    require_admin(viewer, "undo an import")
    touched = 0
    with replica.write(actor) as session:
        run = session.get(ImportRun, run_id)
        if run is None or run.deleted_at is not None:
            raise InvalidInput("import_runs", None, "no such import", str(run_id))
        if run.status == ImportStatus.UNDONE:
            raise InvalidInput("import_runs", "status", "this import was already undone")
        entries = session.scalars(select(AuditEntry).where(
            AuditEntry.import_id == run_id,
            AuditEntry.action.in_([AuditAction.CREATE, AuditAction.UPDATE,
                                   AuditAction.RESTORE]))
            .order_by(AuditEntry.created_at.desc())).all()
        session.info[IMPORT_KEY] = run_id
        now = utcnow()
        for entry in entries:
            model = MODEL_BY_TABLE.get(entry.table_name)
            obj = session.get(model, entry.row_id) if model is not None else None
            if obj is None:
                continue
            if entry.action == AuditAction.UPDATE:
                table = model.__table__  # type: ignore[union-attr]
                for key, raw in (entry.old_values or {}).items():
                    if key in table.columns and key not in type(obj).__local_columns__:
                        setattr(obj, key, decode_value(table.columns[key], raw))
            elif obj.deleted_at is None:  # created, or restored from an earlier undo
                obj.deleted_at = now
            touched += 1
        run.status = ImportStatus.UNDONE
        run.undone_at = now
    return touched
