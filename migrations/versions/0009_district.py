"""district of a conversation (counselling near me) and of a logged question (coarse region)

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-06 06:25:26.677523
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("district", sa.String(length=64), nullable=True))
    with op.batch_alter_table("question_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("district", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("question_log", schema=None) as batch_op:
        batch_op.drop_column("district")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("district")
