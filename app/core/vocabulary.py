"""The project's one vocabulary: what a record is, what is done to it, by whom, why.

Every domain uses these enums (never the bare strings); `policies/` spells the same values.
"""

from __future__ import annotations

from enum import StrEnum


class RecordKind(StrEnum):
    MEMBER = "member"
    COURSE = "course"
    LESSON = "lesson"
    ENROLLMENT = "enrollment"
    ATTENDANCE = "attendance"
    BEHAVIOUR = "behaviour"
    TOOL_USE = "tool_use"
    TEACHER_ACTION = "teacher_action"
    COURSEWARE_USE = "courseware_use"
    RECORDING = "recording"
    SNAPSHOT = "snapshot"
    DIAGNOSTICS = "diagnostics"
    ROLLUP = "rollup"
    REPORT = "report"
    RIGHTS_REQUEST = "rights_request"
    AUDIT_ENTRY = "audit_entry"
    API_KEY = "api_key"
    SUPPORT_GRANT = "support_grant"
    NOTICE = "notice"
    CONSENT = "consent"
    RETENTION = "retention"  # retention periods in force, sweep runs, legal holds


class Action(StrEnum):
    LIST = "list"
    READ = "read"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    EXPORT = "export"
    GRANT = "grant"
    DECIDE = "decide"
    REPORT = "report"


class Scope(StrEnum):
    TENANT = "tenant"
    TAUGHT_COURSES = "taught_courses"
    ENROLLED_COURSES = "enrolled_courses"
    SELF = "self"
    CHILDREN = "children"
    CLASS_VISIBLE = "class_visible"
    GRANTED = "granted"
    SUBJECT = "subject"


class Role(StrEnum):
    SCHOOL_ADMIN = "school_admin"
    TEACHER = "teacher"
    ASSISTANT = "assistant"
    STUDENT = "student"
    GUARDIAN = "guardian"


class Purpose(StrEnum):
    LEARNING_RECORD = "learning_record"
    TEACHING_MANAGEMENT = "teaching_management"
    TEACHING_QUALITY = "teaching_quality"
    TECHNICAL_SUPPORT = "technical_support"
    SECURITY = "security"
    RIGHTS_HANDLING = "rights_handling"
    ACCOUNT = "account"


class ActorKind(StrEnum):
    """Who an audit entry says acted."""

    MEMBER = "member"
    PLATFORM_STAFF = "platform_staff"
    API_KEY = "api_key"
    SYSTEM = "system"


class ConsentCategory(StrEnum):
    """Consent a record needs beyond the classroom itself (CLS-2, CLS-3, CLS-5, CLS-18)."""

    CAMERA = "camera"
    MICROPHONE = "microphone"
    RECORDING = "recording"
    DIAGNOSTICS = "diagnostics"
    LOCATION = "location"
    EXTENDED_FEATURES = "extended_features"


class RetentionCategory(StrEnum):
    """A data category with its own retention period (`policies/retention.toml`, RET-3)."""

    ATTENDANCE = "attendance"
    BEHAVIOUR = "behaviour"
    TOOL_USE = "tool_use"
    TEACHER_ACTION = "teacher_action"
    COURSEWARE_USE = "courseware_use"
    DIAGNOSTICS = "diagnostics"
    ROLLUP = "rollup"
    RECORDING = "recording"
    SNAPSHOT = "snapshot"
    AUDIT = "audit"
    RIGHTS_REQUEST = "rights_request"
    CONSENT_HISTORY = "consent_history"
    # Platform categories (login state): not a school's data, swept once for all schools.
    OTP_CODE = "otp_code"
    SMS_OUTBOX = "sms_outbox"
    REFRESH_TOKEN = "refresh_token"
    DEVICE_SESSION = "device_session"
    PASSWORD_FAILURE = "password_failure"
    CLOSED_RIGHTS_REQUEST = "closed_rights_request"
    OIDC_ATTEMPT = "oidc_attempt"


class HoldScope(StrEnum):
    """What a legal hold suspends deletion of (RET-5)."""

    SCHOOL = "school"  # everything of the school
    PERSON = "person"  # every row about one person in the school
    CATEGORY = "category"  # one category of the school
