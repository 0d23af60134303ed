"""brief: optional maximum long edge, to which phones resize photos before sending

Revision ID: 0023
Revises: 0019
Create Date: 2026-11-30 08:00:00.000000

Nullable, no default: existing briefs keep "no resizing". Published versions carry the value
in their JSON snapshot (new versions only; old snapshots simply lack the key).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('max_long_edge', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_column('max_long_edge')
