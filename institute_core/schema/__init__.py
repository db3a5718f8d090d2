"""The institute schema: SQLAlchemy 2 declarative models for every table of seed 000.

`SYNCED_TABLES` lists the synced tables parents-first, the order in which sync applies inserts
(deletes go in reverse).
"""

from __future__ import annotations

from sqlalchemy import Table

from institute_core.schema.audit import AuditEntry, FacultyMove, ImportRun, PasswordReset
from institute_core.schema.base import Base, OwnerRule, Synced
from institute_core.schema.branches import (
    MAIN_BRANCH_ID,
    BatchBranchMove,
    Branch,
    FacultyBranchMove,
    StudentBranchMove,
    UserBranch,
)
from institute_core.schema.certificates import Certificate, CertificateTemplate
from institute_core.schema.crm import FollowUp, Inquiry, InquirySubject
from institute_core.schema.engagement import Feedback, RewardPenalty
from institute_core.schema.fees import (
    Expense,
    FeeDiscount,
    FeeFollowUp,
    FeeHead,
    FeeInstalment,
    FeePlan,
    Payment,
    PaymentAllocation,
    PaymentEvent,
    Refund,
    SalaryPayment,
)
from institute_core.schema.learning import (
    Assessment,
    AttendanceTopic,
    BatchAttendanceTopic,
    BatchMember,
    BatchSessionAttendance,
    Enrollment,
    FlexibleBatch,
    LearningSession,
    SessionAttendance,
    StudentTopicProgress,
)
from institute_core.schema.messages import (
    Guardian,
    Message,
    MessageConsent,
    MessageDelivery,
    MessageTemplate,
    MessageTrigger,
)
from institute_core.schema.notices import Announcement, AnnouncementRead, StaffNotification
from institute_core.schema.people import Faculty, Student, User
from institute_core.schema.portal import PortalSession, PortalSignInCode
from institute_core.schema.reports import FacultyReport, StudentReport
from institute_core.schema.roles import RoleRecord
from institute_core.schema.server_tables import (
    AuthSession,
    LoginFailure,
    SyncAppliedChange,
    SyncClock,
    SyncDevice,
    SyncFieldVersion,
)
from institute_core.schema.syllabus import Subject, SubjectPrerequisite, Topic, TopicPrerequisite
from institute_core.schema.sync_tables import (
    ConflictLogEntry,
    LocalCredential,
    OutboxEntry,
    SentChange,
    SyncState,
)

SYNCED_MODELS: tuple[type[Synced], ...] = (
    Branch,
    # Before users: an account names its role.
    RoleRecord,
    User,
    UserBranch,
    Subject,
    SubjectPrerequisite,
    Topic,
    TopicPrerequisite,
    Student,
    StudentBranchMove,
    Faculty,
    FacultyBranchMove,
    Enrollment,
    LearningSession,
    SessionAttendance,
    AttendanceTopic,
    StudentTopicProgress,
    FlexibleBatch,
    BatchMember,
    BatchSessionAttendance,
    BatchAttendanceTopic,
    BatchBranchMove,
    Assessment,
    Inquiry,
    InquirySubject,
    FollowUp,
    RewardPenalty,
    Feedback,
    StudentReport,
    FacultyReport,
    ImportRun,
    FacultyMove,
    AuditEntry,
    PasswordReset,
    FeeHead,
    FeePlan,
    FeeInstalment,
    FeeDiscount,
    Payment,
    PaymentAllocation,
    PaymentEvent,
    Refund,
    Expense,
    SalaryPayment,
    FeeFollowUp,
    CertificateTemplate,
    Certificate,
    # Messages (issue 19)
    Guardian,
    MessageConsent,
    MessageTemplate,
    MessageTrigger,
    Message,
    MessageDelivery,
    # Notice board and staff notifications (issue 19)
    Announcement,
    AnnouncementRead,
    StaffNotification,
)

MODEL_BY_TABLE: dict[str, type[Synced]] = {m.__tablename__: m for m in SYNCED_MODELS}  # type: ignore[attr-defined]
SYNCED_TABLES: tuple[str, ...] = tuple(MODEL_BY_TABLE)


def table_of(name: str) -> Table:
    return Base.metadata.tables[name]


__all__ = [
    "MAIN_BRANCH_ID",
    "MODEL_BY_TABLE",
    "SYNCED_MODELS",
    "SYNCED_TABLES",
    "Announcement",
    "AnnouncementRead",
    "Assessment",
    "AttendanceTopic",
    "AuditEntry",
    "AuthSession",
    "Base",
    "BatchAttendanceTopic",
    "BatchBranchMove",
    "BatchMember",
    "BatchSessionAttendance",
    "Branch",
    "Certificate",
    "CertificateTemplate",
    "ConflictLogEntry",
    "Enrollment",
    "Expense",
    "Faculty",
    "FacultyBranchMove",
    "FacultyMove",
    "FacultyReport",
    "FeeDiscount",
    "FeeFollowUp",
    "FeeHead",
    "FeeInstalment",
    "FeePlan",
    "Feedback",
    "FlexibleBatch",
    "FollowUp",
    "Guardian",
    "ImportRun",
    "Inquiry",
    "InquirySubject",
    "LearningSession",
    "LocalCredential",
    "LoginFailure",
    "Message",
    "MessageConsent",
    "MessageDelivery",
    "MessageTemplate",
    "MessageTrigger",
    "OutboxEntry",
    "OwnerRule",
    "PasswordReset",
    "Payment",
    "PaymentAllocation",
    "PaymentEvent",
    "PortalSession",
    "PortalSignInCode",
    "Refund",
    "RewardPenalty",
    "RoleRecord",
    "SalaryPayment",
    "SentChange",
    "SessionAttendance",
    "StaffNotification",
    "Student",
    "StudentBranchMove",
    "StudentReport",
    "StudentTopicProgress",
    "Subject",
    "SubjectPrerequisite",
    "SyncAppliedChange",
    "SyncClock",
    "SyncDevice",
    "SyncFieldVersion",
    "SyncState",
    "Synced",
    "Topic",
    "TopicPrerequisite",
    "User",
    "UserBranch",
    "table_of",
]
