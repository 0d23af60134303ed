"""small thumbnails: whether a photo's small (phone) thumbnail is stored

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-30 11:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    # Photos already processed have no small thumbnail yet: pages show them the usual one
    # until `flask trove backfill-thumbnails` has made it.
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('has_small_thumb', sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_column('has_small_thumb')
