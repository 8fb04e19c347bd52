"""relation tuples

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 20:39:46.495692
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "relation_tuples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("namespace", sa.String(length=64), nullable=False),
        sa.Column("object", sa.String(length=64), nullable=False),
        sa.Column("relation", sa.String(length=64), nullable=False),
        sa.Column("subject_namespace", sa.String(length=64), nullable=False),
        sa.Column("subject_object", sa.String(length=64), nullable=False),
        sa.Column("subject_relation", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relation_tuples")),
        sa.UniqueConstraint(
            "namespace",
            "object",
            "relation",
            "subject_namespace",
            "subject_object",
            "subject_relation",
            name=op.f("uq_relation_tuples_namespace_object_relation_subject_namespace_subject_object_subject_relation"),
        ),
    )
    with op.batch_alter_table("relation_tuples", schema=None) as batch_op:
        batch_op.create_index(
            "ix_relation_tuples_subject", ["subject_namespace", "subject_object", "subject_relation"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("relation_tuples", schema=None) as batch_op:
        batch_op.drop_index("ix_relation_tuples_subject")

    op.drop_table("relation_tuples")
