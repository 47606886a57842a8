"""interpreter requests (erased with the conversation); handover reason housing_help needs no change
(the reason column is a plain string)

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-06 06:24:50.292349
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "interpreter_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=200), nullable=False),
        sa.Column("dialect", sa.String(length=32), nullable=False),
        sa.Column("appointment_type", sa.String(length=32), nullable=False),
        sa.Column("wishes", sa.String(length=200), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column(
            "status",
            sa.Enum("OPEN", "ARRANGED", "DECLINED", name="interpreterstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("note_for_person", sa.String(length=500), nullable=True),
        sa.Column("created_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_interpreter_requests_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["staff_users.id"],
            name=op.f("fk_interpreter_requests_updated_by_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interpreter_requests")),
    )
    with op.batch_alter_table("interpreter_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_interpreter_requests_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_interpreter_requests_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("interpreter_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interpreter_requests_status"))
        batch_op.drop_index(batch_op.f("ix_interpreter_requests_conversation_id"))

    op.drop_table("interpreter_requests")
