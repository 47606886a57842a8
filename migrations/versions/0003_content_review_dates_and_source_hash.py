"""content: per-item review date, sources as {title, url}, as_of only for factual items, source hash per text

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 03:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_items = sa.table(
    "content_items",
    sa.column("id", sa.Integer()),
    sa.column("sources", sa.JSON()),
    sa.column("as_of", sa.Date()),
)


def _convert_sources(to_objects: bool) -> None:
    """Sources were plain strings; now ``{"title": ...}`` objects (the next seed adds the URLs)."""
    conn = op.get_bind()
    for row_id, sources in conn.execute(sa.select(_items.c.id, _items.c.sources)).all():
        if to_objects:
            new = [s if isinstance(s, dict) else {"title": str(s)} for s in sources or []]
        else:
            new = [str(s.get("title", "")) if isinstance(s, dict) else str(s) for s in sources or []]
        if new != sources:
            conn.execute(sa.update(_items).where(_items.c.id == row_id).values(sources=new))


def upgrade() -> None:
    with op.batch_alter_table("content_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_by", sa.Date(), nullable=True))
        batch_op.alter_column("as_of", existing_type=sa.Date(), nullable=True)
    with op.batch_alter_table("content_translations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_hash", sa.String(length=16), nullable=True))
    _convert_sources(to_objects=True)


def downgrade() -> None:
    _convert_sources(to_objects=False)
    conn = op.get_bind()
    conn.execute(sa.update(_items).where(_items.c.as_of.is_(None)).values(as_of=sa.func.current_date()))
    with op.batch_alter_table("content_translations", schema=None) as batch_op:
        batch_op.drop_column("source_hash")
    with op.batch_alter_table("content_items", schema=None) as batch_op:
        batch_op.alter_column("as_of", existing_type=sa.Date(), nullable=False)
        batch_op.drop_column("review_by")
