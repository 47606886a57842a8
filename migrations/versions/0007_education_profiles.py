"""education profiles: the answers of the education flow, stored with consent (one per conversation)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 06:28:52.229500
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "education_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("consent_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("school_years", sa.String(length=16), nullable=True),
        sa.Column("certificate", sa.String(length=32), nullable=True),
        sa.Column("certificate_country", sa.String(length=200), nullable=True),
        sa.Column("field", sa.String(length=32), nullable=True),
        sa.Column("level", sa.String(length=32), nullable=True),
        sa.Column("finished", sa.String(length=8), nullable=True),
        sa.Column("documents", sa.String(length=8), nullable=True),
        sa.Column("occupation", sa.String(length=32), nullable=True),
        sa.Column("work_years", sa.String(length=8), nullable=True),
        sa.Column("german", sa.String(length=8), nullable=True),
        sa.Column("german_certificate", sa.String(length=8), nullable=True),
        sa.Column("other_languages", sa.String(length=200), nullable=True),
        sa.Column("goal", sa.String(length=32), nullable=True),
        sa.Column("created_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_education_profiles_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_education_profiles")),
        sa.UniqueConstraint("conversation_id", name=op.f("uq_education_profiles_conversation_id")),
    )


def downgrade() -> None:
    op.drop_table("education_profiles")
