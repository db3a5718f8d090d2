"""Closed vocabularies of the institute schema.

Each enum is the single source for a CHECK constraint, for validation messages and for UI choices.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    SUPER_ADMIN = "super_admin"
    ADMIN = "admin"
    COUNSELOR = "counselor"
    FACULTY = "faculty"
    STUDENT = "student"


class UserStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    SUSPENDED = "suspended"


class StudentStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    DROPPED = "dropped"
    HOLD = "hold"
    GRADUATED = "graduated"


class LearningStyle(StrEnum):
    VISUAL = "visual"
    AUDITORY = "auditory"
    KINESTHETIC = "kinesthetic"
    READING = "reading"


class FacultyStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    ON_LEAVE = "on_leave"


class ActiveStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


class SubjectLevel(StrEnum):
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


class TopicDifficulty(StrEnum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


class EnrollmentStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    PAUSED = "paused"
    DROPPED = "dropped"


class SessionType(StrEnum):
    INDIVIDUAL = "individual"
    GROUP = "group"
    WORKSHOP = "workshop"


class SessionStatus(StrEnum):
    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class AttendanceStatus(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    LATE = "late"
    # From seed 004: an absence announced in advance, which must not count as a plain absence.
    EXCUSED = "excused"


class ProgressStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    MASTERED = "mastered"
    NEEDS_REVIEW = "needs_review"


class BatchType(StrEnum):
    TEMPORARY = "temporary"
    WORKSHOP = "workshop"
    PROJECT = "project"
    PEER_LEARNING = "peer_learning"


class BatchStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class AssessmentType(StrEnum):
    QUIZ = "quiz"
    ASSIGNMENT = "assignment"
    PROJECT = "project"
    EXAM = "exam"
    PRACTICAL = "practical"


class AssessmentStatus(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    GRADED = "graded"


class InquirySource(StrEnum):
    WEBSITE = "website"
    REFERRAL = "referral"
    WALK_IN = "walk_in"
    SOCIAL_MEDIA = "social_media"
    CAMPAIGN = "campaign"


class InquiryStatus(StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    FOLLOW_UP_SCHEDULED = "follow_up_scheduled"
    ENROLLED = "enrolled"
    LOST = "lost"


class Priority(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class FollowUpType(StrEnum):
    CALL = "call"
    EMAIL = "email"
    VISIT = "visit"
    SMS = "sms"
    WHATSAPP = "whatsapp"


class FollowUpStatus(StrEnum):
    COMPLETED = "completed"
    PENDING = "pending"
    MISSED = "missed"


class RewardType(StrEnum):
    REWARD = "reward"
    PENALTY = "penalty"


class RewardCategory(StrEnum):
    ATTENDANCE = "attendance"
    PERFORMANCE = "performance"
    BEHAVIOR = "behavior"
    ASSIGNMENT = "assignment"
    OTHER = "other"


class RewardStatus(StrEnum):
    ACTIVE = "active"
    APPEALED = "appealed"
    RESOLVED = "resolved"


class FeedbackType(StrEnum):
    FACULTY = "faculty"
    SESSION = "session"
    SUBJECT = "subject"
    INSTITUTE = "institute"
    FACILITY = "facility"


class Sentiment(StrEnum):
    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"


class FeedbackStatus(StrEnum):
    PENDING = "pending"
    REVIEWED = "reviewed"
    RESOLVED = "resolved"


class CertificateLayout(StrEnum):
    LANDSCAPE = "landscape"
    PORTRAIT = "portrait"


class StudentReportType(StrEnum):
    PROGRESS = "progress"
    ATTENDANCE = "attendance"
    PERFORMANCE = "performance"
    FINAL = "final"


class FacultyReportType(StrEnum):
    PERFORMANCE = "performance"
    UTILIZATION = "utilization"
    STUDENT_PROGRESS = "student_progress"
    TIME_MANAGEMENT = "time_management"


class ReportStatus(StrEnum):
    GENERATED = "generated"
    SENT = "sent"
    VIEWED = "viewed"


# --- fees (issue 18) ----------------------------------------------------------------------------

class FeeKind(StrEnum):
    COURSE = "course"
    REGISTRATION = "registration"
    EXAM = "exam"
    MATERIAL = "material"
    OTHER = "other"


class FeeFrequency(StrEnum):
    ONE_TIME = "one_time"
    MONTHLY = "monthly"
    INSTALMENTS = "instalments"  # a plan of `fee_heads.instalments` parts (migration 0019)


class PlanKind(StrEnum):
    ONE_TIME = "one_time"
    MONTHLY = "monthly"
    INSTALMENTS = "instalments"


class GstMode(StrEnum):
    NONE = "none"
    INCLUSIVE = "inclusive"
    EXCLUSIVE = "exclusive"


class DiscountKind(StrEnum):
    PERCENTAGE = "percentage"
    FIXED = "fixed"


class DiscountReason(StrEnum):
    SCHOLARSHIP = "scholarship"
    SIBLING = "sibling"
    EARLY_BIRD = "early_bird"
    REFERRAL = "referral"
    STAFF = "staff"
    OTHER = "other"


class DiscountStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class PaymentMode(StrEnum):
    CASH = "cash"
    UPI = "upi"
    CARD = "card"
    CHEQUE = "cheque"
    DD = "dd"
    BANK_TRANSFER = "bank_transfer"


class PaymentEventKind(StrEnum):
    """What happened to a payment after its receipt: a cheque's way through the bank, or an
    admin's cancellation."""

    DEPOSITED = "deposited"
    CLEARED = "cleared"
    BOUNCED = "bounced"
    CANCELLED = "cancelled"


class ExpenseCategory(StrEnum):
    RENT = "rent"
    UTILITIES = "utilities"
    MARKETING = "marketing"
    SUPPLIES = "supplies"
    MAINTENANCE = "maintenance"
    OTHER = "other"


class SalaryBasis(StrEnum):
    FIXED = "fixed"
    HOURLY = "hourly"
# --- messages to students, guardians and inquiries (issue 19) ---------------------------------

class Channel(StrEnum):
    SMS = "sms"
    WHATSAPP = "whatsapp"
    EMAIL = "email"


class GuardianRelation(StrEnum):
    MOTHER = "mother"
    FATHER = "father"
    GUARDIAN = "guardian"
    SELF = "self"
    OTHER = "other"


class ConsentSource(StrEnum):
    ADMIN = "admin"  # an administrator's action on the desk
    STOP_REPLY = "stop_reply"  # the contact replied STOP (the provider reported it)
    FORM = "form"  # a signed admission form


class MessageEvent(StrEnum):
    ABSENT = "absent"
    FOLLOW_UP_DUE = "follow_up_due"
    SESSION_RESCHEDULED = "session_rescheduled"
    SESSION_CANCELLED = "session_cancelled"
    AT_RISK = "at_risk"
    FEE_DUE = "fee_due"
    ONE_OFF = "one_off"  # typed by a person, no trigger


class Audience(StrEnum):
    """Who an announcement is for."""

    EVERYONE = "everyone"
    ROLE = "role"
    BATCH = "batch"


class NotificationKind(StrEnum):
    """What a staff notification is about."""

    FOLLOW_UP_DUE = "follow_up_due"
    CONFLICT = "conflict"
    AT_RISK = "at_risk"
    CHEQUE_BOUNCED = "cheque_bounced"


class DeliveryStatus(StrEnum):
    QUEUED = "queued"  # waiting (quiet hours, a retry's backoff, the rate limit)
    SENT = "sent"  # the provider accepted it
    DELIVERED = "delivered"  # the provider reported it reached the phone or mailbox
    FAILED = "failed"  # refused, or retries ran out: `failure_reason` says why
    CANCELLED = "cancelled"  # a desk cancelled it before it was sent
    BLOCKED = "blocked"  # the contact opted out of the channel
