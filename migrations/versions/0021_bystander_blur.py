"""bystander blur: the brief's people policy, each photo's blur boxes and unblurred copy

Revision ID: 0021
Revises: 0023
Create Date: 2026-11-30 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    # NULL: the brief says nothing about people (as every brief before this revision); the
    # media job then looks for no faces.
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('people_policy', sa.String(length=20), nullable=True))
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('blur_boxes', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('blur_applied', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('unblurred_name', sa.String(length=80), nullable=True))


def downgrade():
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_column('unblurred_name')
        batch_op.drop_column('blur_applied')
        batch_op.drop_column('blur_boxes')
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_column('people_policy')
