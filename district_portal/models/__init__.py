"""SQLAlchemy models, one module per aggregate. No Flask imports here."""

from district_portal.models.api import ApiKey, Webhook
from district_portal.models.audit import AuditEntry, AuditLogIsAppendOnly
from district_portal.models.base import Base
from district_portal.models.calendar import CalendarDay
from district_portal.models.catalog import (
    OnlineLevel,
    Procedure,
    ProcedureDraft,
    ProcedureLevelChange,
    ProcedureVersion,
)
from district_portal.models.dossier import (
    Action,
    Attachment,
    Dossier,
    DossierCounter,
    DossierEvent,
    DossierStatus,
    InboxCount,
    ResultRegister,
)
from district_portal.models.notification import Notification
from district_portal.models.office import Office, OfficeKind
from district_portal.models.payment import (
    Payment,
    PaymentState,
    ReceiptCounter,
    SandboxTransaction,
)
from district_portal.models.site import SiteVersion
from district_portal.models.stats import StatsCacheEntry
from district_portal.models.user import Role, User, UserSession, UserToken

__all__ = [
    "Action",
    "ApiKey",
    "AuditEntry",
    "AuditLogIsAppendOnly",
    "Attachment",
    "Base",
    "CalendarDay",
    "Dossier",
    "DossierCounter",
    "DossierEvent",
    "DossierStatus",
    "InboxCount",
    "Notification",
    "Office",
    "OfficeKind",
    "OnlineLevel",
    "Payment",
    "PaymentState",
    "Procedure",
    "ProcedureDraft",
    "ProcedureLevelChange",
    "ProcedureVersion",
    "ReceiptCounter",
    "ResultRegister",
    "Role",
    "SandboxTransaction",
    "SiteVersion",
    "StatsCacheEntry",
    "User",
    "UserSession",
    "UserToken",
    "Webhook",
]
