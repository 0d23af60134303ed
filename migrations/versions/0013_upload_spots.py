"""upload spots: counters on projects and per contributor, unique bytes per project

Revision ID: 0013
Revises: 0009
Create Date: 2026-11-30 05:00:00.000000

Backfills the counters from the photos (withdrawn photos count for their contributor
unless they were declined when withdrawn) and the duplicate key from the upload hash.
Where a project already holds the same bytes twice (the race or the withdraw-and-send-again
hole this closes), the earliest photo keeps the key; the others keep their rows, without it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0015'
branch_labels = None
depends_on = None

ACTIVE = "('processing', 'pending_review', 'approved')"


def upgrade():
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('active_count', sa.Integer(), nullable=False, server_default='0')
        )
    op.create_table(
        'project_contributors',
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('contributor_id', sa.Integer(), nullable=False),
        sa.Column('photo_count', sa.Integer(), nullable=False, server_default='0'),
        sa.ForeignKeyConstraint(
            ['contributor_id'], ['users.id'],
            name=op.f('fk_project_contributors_contributor_id_users'),
        ),
        sa.ForeignKeyConstraint(
            ['project_id'], ['projects.id'],
            name=op.f('fk_project_contributors_project_id_projects'),
        ),
        sa.PrimaryKeyConstraint('project_id', 'contributor_id', name=op.f('pk_project_contributors')),
    )
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dedupe_sha256', sa.String(length=64), nullable=True))

    op.execute(
        f"""
        UPDATE projects SET active_count = (
            SELECT count(*) FROM submissions
            WHERE submissions.project_id = projects.id AND submissions.status IN {ACTIVE}
        )
        """
    )
    op.execute(
        f"""
        INSERT INTO project_contributors (project_id, contributor_id, photo_count)
        SELECT project_id, contributor_id, count(*) FROM submissions
        WHERE contributor_id IS NOT NULL AND (
            status IN {ACTIVE} OR (status = 'withdrawn' AND rejection_code IS NULL)
        )
        GROUP BY project_id, contributor_id
        """
    )
    op.execute(
        """
        UPDATE submissions SET dedupe_sha256 = upload_sha256
        WHERE NOT (status = 'rejected' AND rejection_code = 'unreadable')
          AND NOT EXISTS (
            SELECT 1 FROM submissions AS earlier
            WHERE earlier.project_id = submissions.project_id
              AND earlier.upload_sha256 = submissions.upload_sha256
              AND earlier.id < submissions.id
              AND NOT (earlier.status = 'rejected' AND earlier.rejection_code = 'unreadable')
          )
        """
    )
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f('uq_submissions_project_id_dedupe_sha256'),
            ['project_id', 'dedupe_sha256'],
        )


def downgrade():
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('uq_submissions_project_id_dedupe_sha256'), type_='unique'
        )
        batch_op.drop_column('dedupe_sha256')
    op.drop_table('project_contributors')
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_column('active_count')
