"""Every table, imported in one place for Alembic and the tests."""

from app.activities.models import Activity, FollowUp
from app.audit.trail import AuditEntry
from app.auth.models import ApiToken, LoginFailure, RecoveryCode, User, UserSession
from app.core.app_settings import AppSetting
from app.core.jobs import Job
from app.core.outbox import Webhook, WebhookDelivery
from app.customers.models import Contact, Organization
from app.deals.models import Deal, DealContact, RevenueTally, Stage, StageTally
from app.documents.models import DatabaseFile, DatabaseFileChunk, Document, DocumentVersion
from app.interop.calendar.models import CalendarFeed
from app.interop.imports.models import ImportFile, ImportJob, ImportRecord
from app.interop.mail.models import MailMessage
from app.reports.snapshot import PipelineSnapshot
from app.satisfaction.models import (
    SurveyAttempt,
    SurveyLink,
    SurveyResponse,
    SurveyTally,
)

__all__ = [
    "Activity",
    "ApiToken",
    "AppSetting",
    "AuditEntry",
    "CalendarFeed",
    "Contact",
    "Deal",
    "DatabaseFile",
    "DatabaseFileChunk",
    "DealContact",
    "Document",
    "ImportFile",
    "ImportJob",
    "Job",
    "ImportRecord",
    "DocumentVersion",
    "FollowUp",
    "LoginFailure",
    "MailMessage",
    "RecoveryCode",
    "Organization",
    "Stage",
    "SurveyAttempt",
    "SurveyLink",
    "SurveyResponse",
    "SurveyTally",
    "PipelineSnapshot",
    "RevenueTally",
    "StageTally",
    "User",
    "Webhook",
    "WebhookDelivery",
    "UserSession",
]
