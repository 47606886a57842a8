"""training jobs (retraining from the console)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 13:10:29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "training_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "QUEUED",
                "TRAINING",
                "EVALUATING",
                "READY",
                "FAILED",
                "ACTIVATED",
                "ROLLED_BACK",
                name="jobstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("staged_examples", sa.Integer(), nullable=False),
        sa.Column("model_path", sa.String(length=1000), nullable=True),
        sa.Column("log_tail", sa.Text(), nullable=False),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.Column("evaluation", sa.JSON(), nullable=True),
        sa.Column("previous_model", sa.String(length=1000), nullable=True),
        sa.Column("override", sa.Boolean(), nullable=False),
        sa.Column("activated_by_id", sa.Integer(), nullable=True),
        sa.Column("activated_at", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rolled_back_at", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("slot", sa.Integer(), nullable=True),
        sa.Column("runner", sa.String(length=300), nullable=True),
        sa.Column("heartbeat_at", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["activated_by_id"],
            ["staff_users.id"],
            name=op.f("fk_training_jobs_activated_by_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["started_by_id"],
            ["staff_users.id"],
            name=op.f("fk_training_jobs_started_by_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_jobs")),
        sa.UniqueConstraint("slot", name=op.f("uq_training_jobs_slot")),
    )
    with op.batch_alter_table("training_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_training_jobs_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("training_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_jobs_status"))

    op.drop_table("training_jobs")
