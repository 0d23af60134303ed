"""project status counts: the review queue's numbers on the project row, backfilled

Revision ID: 0025
Revises: 0021
Create Date: 2026-11-30 08:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0021'
branch_labels = None
depends_on = None

STATUSES = ('processing', 'pending_review', 'approved', 'rejected', 'withdrawn')


def upgrade():
    with op.batch_alter_table('projects', schema=None) as batch_op:
        for status in STATUSES:
            batch_op.add_column(
                sa.Column(f'photos_{status}', sa.Integer(), nullable=False, server_default='0')
            )
    for status in STATUSES:
        op.execute(
            f"""
            UPDATE projects SET photos_{status} = (
                SELECT count(*) FROM submissions
                WHERE submissions.project_id = projects.id AND submissions.status = '{status}'
            )
            """
        )


def downgrade():
    with op.batch_alter_table('projects', schema=None) as batch_op:
        for status in reversed(STATUSES):
            batch_op.drop_column(f'photos_{status}')
