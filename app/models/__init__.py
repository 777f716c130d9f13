"""All models, imported here so that Alembic and the app see every table."""
from app.models.base import UtcDateTime, utcnow
from app.models.company import (
    Application,
    ApplicationStatus,
    ApplicationTopic,
    ChangeProposal,
    Company,
    CompanyRole,
    Exclusion,
)
from app.models.consent import Consent
from app.models.group import GroupMember, GroupStatus, MentoringGroup, Response
from app.models.importing import ImportBatch
from app.models.mail import MailStatus, OutboundEmail
from app.models.matching_round import (
    MatchingRound,
    RoundEvent,
    RoundRule,
    RoundRun,
    RoundStatus,
    RunStatus,
    round_participant,
    round_supervisor,
)
from app.models.maturity import MaturityAnswer, MaturityAssessment
from app.models.meeting import (
    Meeting,
    MeetingStatus,
    Reminder,
    SchedulerLease,
    SupervisorAbsence,
    SupervisorWindow,
)
from app.models.organisation import Organisation, OrganisationKind, PartnerRole, ProgrammePartner
from app.models.participant import Participant
from app.models.programme import Programme, programme_coordinator
from app.models.session_log import (
    Amendment,
    Attendance,
    AuditEvent,
    ConfidentialNote,
    Feedback,
    Measure,
    MeasureStatus,
    SessionRecord,
)
from app.models.supervisor import ProgrammeSupervisor, SupervisorProfile
from app.models.throttle import ThrottleCounter
from app.models.token import OneTimeToken, TokenPurpose
from app.models.user import LoginSession, Role, User

__all__ = [
    "Amendment",
    "Application",
    "ApplicationStatus",
    "ApplicationTopic",
    "ChangeProposal",
    "Attendance",
    "AuditEvent",
    "ConfidentialNote",
    "Consent",
    "Feedback",
    "Measure",
    "MeasureStatus",
    "SessionRecord",
    "GroupMember",
    "GroupStatus",
    "MatchingRound",
    "Meeting",
    "MeetingStatus",
    "MentoringGroup",
    "Reminder",
    "SchedulerLease",
    "SupervisorAbsence",
    "SupervisorWindow",
    "ThrottleCounter",
    "Response",
    "RoundEvent",
    "RoundRule",
    "RoundRun",
    "RoundStatus",
    "RunStatus",
    "SupervisorProfile",
    "ProgrammeSupervisor",
    "round_participant",
    "round_supervisor",
    "Exclusion",
    "ImportBatch",
    "LoginSession",
    "MaturityAnswer",
    "MaturityAssessment",
    "Company",
    "CompanyRole",
    "MailStatus",
    "OneTimeToken",
    "OutboundEmail",
    "Organisation",
    "OrganisationKind",
    "Participant",
    "PartnerRole",
    "ProgrammePartner",
    "Programme",
    "Role",
    "TokenPurpose",
    "User",
    "UtcDateTime",
    "programme_coordinator",
    "utcnow",
]
