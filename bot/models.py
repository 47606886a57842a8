"""Import every feature's models so that Alembic and tests see the whole schema.

The models themselves live with their feature (``bot/<feature>/models.py``).
"""

from admin_api.audit.models import AuditEntry
from admin_api.cases.models import CaseNote
from admin_api.staff.models import ApiToken, StaffSession, StaffUser
from bot.analytics.models import QuestionLog
from bot.content.models import ContentItem, ContentTranslation
from bot.conversations.models import Conversation, Message
from bot.db import Base
from bot.guided.models import GuidedFlow, Reminder
from bot.handover.models import Handover
from bot.insights.models import StagedExample
from bot.interpreters.models import InterpreterRequest
from bot.profiles.models import EducationProfile
from bot.training.models import TrainingJob

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Base",
    "CaseNote",
    "ContentItem",
    "ContentTranslation",
    "Conversation",
    "EducationProfile",
    "GuidedFlow",
    "Handover",
    "InterpreterRequest",
    "Message",
    "QuestionLog",
    "Reminder",
    "StaffSession",
    "StaffUser",
    "StagedExample",
    "TrainingJob",
]
