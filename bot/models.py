"""Import every feature's models so that Alembic and tests see the whole schema.

The models themselves live with their feature (``bot/<feature>/models.py``).
"""

from bot.analytics.models import QuestionLog
from bot.content.models import ContentItem, ContentTranslation
from bot.conversations.models import Conversation, Message
from bot.db import Base
from bot.handover.models import Handover

__all__ = ["Base", "ContentItem", "ContentTranslation", "Conversation", "Handover", "Message", "QuestionLog"]
