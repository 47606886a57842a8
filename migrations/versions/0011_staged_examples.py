"""staged NLU training examples (proposed from question clusters, reviewed by admins)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 12:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staged_examples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("target_intent", sa.String(length=128), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column(
            "status",
            sa.Enum("STAGED", "APPROVED", "REJECTED", name="stagedstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("staged_by_id", sa.Integer(), nullable=True),
        sa.Column("staged_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["staged_by_id"],
            ["staff_users.id"],
            name=op.f("fk_staged_examples_staged_by_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["staff_users.id"],
            name=op.f("fk_staged_examples_reviewed_by_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staged_examples")),
    )
    with op.batch_alter_table("staged_examples", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staged_examples_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("staged_examples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staged_examples_status"))
    op.drop_table("staged_examples")
