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
from app.models.importing import ImportBatch
from app.models.mail import MailStatus, OutboundEmail
from app.models.maturity import MaturityAnswer, MaturityAssessment
from app.models.programme import Programme, programme_coordinator
from app.models.token import OneTimeToken, TokenPurpose
from app.models.user import Role, User

__all__ = [
    "Application",
    "ApplicationStatus",
    "ApplicationTopic",
    "ChangeProposal",
    "Consent",
    "Exclusion",
    "ImportBatch",
    "MaturityAnswer",
    "MaturityAssessment",
    "Company",
    "CompanyRole",
    "MailStatus",
    "OneTimeToken",
    "OutboundEmail",
    "Programme",
    "Role",
    "TokenPurpose",
    "User",
    "UtcDateTime",
    "programme_coordinator",
    "utcnow",
]
