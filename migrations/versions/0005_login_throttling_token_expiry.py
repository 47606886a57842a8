"""login: throttling table (per username and per client address), API token expiry and last use

Replaces the per-account lock (``failed_logins``/``locked_until``) by backoff in ``login_throttles``.
Existing API tokens expire 90 days after this migration.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 03:50:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttles")),
    )
    with op.batch_alter_table("login_throttles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_throttles_last_failure_at"), ["last_failure_at"], unique=False
        )
    with op.batch_alter_table("staff_api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", bot.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", bot.db.UTCDateTime(timezone=True), nullable=True))
    tokens = sa.table("staff_api_tokens", sa.column("expires_at", bot.db.UTCDateTime(timezone=True)))
    op.execute(tokens.update().values(expires_at=datetime.now(UTC) + timedelta(days=90)))
    with op.batch_alter_table("staff_api_tokens", schema=None) as batch_op:
        batch_op.alter_column("expires_at", existing_type=bot.db.UTCDateTime(timezone=True), nullable=False)
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")


def downgrade() -> None:
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("locked_until", bot.db.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("staff_api_tokens", schema=None) as batch_op:
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("expires_at")
    with op.batch_alter_table("login_throttles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_throttles_last_failure_at"))
    op.drop_table("login_throttles")
