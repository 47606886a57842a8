"""messages: the German translation kept with each incoming message (made once, in the background)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("german_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("german_engine", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("german_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("german_at")
        batch_op.drop_column("german_engine")
        batch_op.drop_column("german_text")
