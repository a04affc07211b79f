"""Every model, importable as `from registry.models import Expert`."""

from registry.models.assignments import (
                                         ACTIVE_ASSIGNMENT_STATUSES,
                                         SERVED_STATUSES,
                                         STANDING_STATUSES,
                                         Assignment,
                                         AssignmentStatus,
                                         SolverRun,
                                         SolverRunStatus,
                                         sync_request_status,
)
from registry.models.audit import AuditEvent, AuditLogIsAppendOnly
from registry.models.base import DomainError, InvalidTransition, utcnow
from registry.models.cases import (
                                         AttendanceDays,
                                         Case,
                                         CaseField,
                                         CaseKind,
                                         CaseStage,
                                         DispatchRequest,
                                         Exclusion,
                                         ExclusionReason,
                                         Party,
                                         PartyRole,
                                         RequestStatus,
                                         Service,
)
from registry.models.causes import CauseOfAction
from registry.models.disclosures import Waiver, WaiverKind
from registry.models.experts import (
                                         Affiliation,
                                         CreditKind,
                                         CreditRecord,
                                         DeclaredConflict,
                                         Expert,
                                         ExpertField,
                                         ExpertLanguage,
                                         ExpertRole,
                                         ExpertRoleGrant,
                                         ExpertStatus,
                                         Unavailability,
)
from registry.models.flags import AssignmentFlag
from registry.models.geography import City, Jurisdiction, RecognitionAgreement
from registry.models.imports import ExpertImport, ImportStatus
from registry.models.ipc import IpcField
from registry.models.organizations import HANDLING_BODY_KINDS, Organization, OrganizationKind
from registry.models.panels import PanelMembership
from registry.models.persons import ExpertRelation, IdentityDocument, Person, RelationKind
from registry.models.recusals import (
                                         Challenge,
                                         ChallengeStatus,
                                         DeciderRole,
                                         PartiesNotice,
)
from registry.models.users import ApiToken, User, UserRole

__all__ = [
    "ACTIVE_ASSIGNMENT_STATUSES", "SERVED_STATUSES", "STANDING_STATUSES", "HANDLING_BODY_KINDS",
    "Affiliation", "ApiToken", "Assignment", "AssignmentStatus", "AttendanceDays", "AuditEvent",
    "AuditLogIsAppendOnly", "Case", "CaseField", "CaseKind", "CaseStage", "City", "CreditKind",
    "CreditRecord", "DeclaredConflict", "DispatchRequest", "DomainError", "Exclusion",
    "ExclusionReason", "Expert", "ExpertField", "ExpertLanguage", "ExpertRole", "ExpertRoleGrant",
    "ExpertImport", "ExpertStatus", "ImportStatus", "InvalidTransition", "IpcField",
    "Jurisdiction", "Organization", "OrganizationKind",
    "ExpertRelation", "IdentityDocument", "Person", "RelationKind",
    "Party", "PartyRole", "RecognitionAgreement", "RequestStatus", "Service", "SolverRun",
    "SolverRunStatus", "Unavailability", "User", "UserRole", "sync_request_status", "utcnow",
]
__all__ += [
    "AssignmentFlag", "CauseOfAction", "Challenge", "ChallengeStatus", "DeciderRole",
    "PanelMembership", "PartiesNotice", "Waiver", "WaiverKind",
]
