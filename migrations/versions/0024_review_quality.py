"""review quality: second opinions on a sample, gold photos, reviewer counters

Revision ID: 0024
Revises: 0022
Create Date: 2026-11-30 08:10:00.000000

Adds the owner's two settings to projects (share of approvals that get a second opinion,
share of a reviewer's queue that is gold), the second-opinion checks, gold photos and the
reviewers' answers on them, and per-reviewer counters kept as decisions happen (so the
insight page never scans a project's photos or audit log).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('second_opinion_percent', sa.Integer(), nullable=False, server_default='0')
        )
        batch_op.add_column(
            sa.Column('gold_percent', sa.Integer(), nullable=False, server_default='0')
        )

    op.create_table(
        'second_opinions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('submission_id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('first_reviewer_id', sa.Integer(), nullable=True),
        sa.Column('second_reviewer_id', sa.Integer(), nullable=True),
        sa.Column('second_code', sa.String(length=40), nullable=True),
        sa.Column('second_note', sa.Text(), nullable=True),
        sa.Column('resolved_by_id', sa.Integer(), nullable=True),
        sa.Column('outcome', sa.String(length=20), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('second_at', sa.DateTime(), nullable=True),
        sa.Column('resolved_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_second_opinions_submission_id_submissions')),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_second_opinions_project_id_projects')),
        sa.ForeignKeyConstraint(['first_reviewer_id'], ['users.id'], name=op.f('fk_second_opinions_first_reviewer_id_users')),
        sa.ForeignKeyConstraint(['second_reviewer_id'], ['users.id'], name=op.f('fk_second_opinions_second_reviewer_id_users')),
        sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_second_opinions_resolved_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_second_opinions')),
    )
    op.create_index('ix_second_opinions_submission_id', 'second_opinions', ['submission_id'])
    op.create_index('ix_second_opinions_project_state', 'second_opinions', ['project_id', 'state', 'id'])

    op.create_table(
        'gold_photos',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('submission_id', sa.Integer(), nullable=False),
        sa.Column('expected', sa.String(length=20), nullable=False),
        sa.Column('expected_code', sa.String(length=40), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_gold_photos_project_id_projects')),
        sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_gold_photos_submission_id_submissions')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_gold_photos_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_gold_photos')),
        sa.UniqueConstraint('submission_id', name=op.f('uq_gold_photos_submission_id')),
    )
    op.create_index('ix_gold_photos_project_active', 'gold_photos', ['project_id', 'active'])

    op.create_table(
        'gold_answers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('gold_id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('reviewer_id', sa.Integer(), nullable=False),
        sa.Column('decision', sa.String(length=20), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=True),
        sa.Column('correct', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['gold_id'], ['gold_photos.id'], name=op.f('fk_gold_answers_gold_id_gold_photos')),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_gold_answers_project_id_projects')),
        sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_gold_answers_reviewer_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_gold_answers')),
        sa.UniqueConstraint('gold_id', 'reviewer_id', name=op.f('uq_gold_answers_gold_id_reviewer_id')),
    )
    op.create_index('ix_gold_answers_reviewer_id', 'gold_answers', ['reviewer_id', 'gold_id'])

    op.create_table(
        'reviewer_stats',
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('reviewer_id', sa.Integer(), nullable=False),
        sa.Column('decisions', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('active_seconds', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('last_decision_at', sa.DateTime(), nullable=True),
        sa.Column('checked', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('agreed', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('gold_answered', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('gold_correct', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('appeals_overturned', sa.Integer(), nullable=False, server_default='0'),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_reviewer_stats_project_id_projects')),
        sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_reviewer_stats_reviewer_id_users')),
        sa.PrimaryKeyConstraint('project_id', 'reviewer_id', name=op.f('pk_reviewer_stats')),
    )


def downgrade():
    op.drop_table('reviewer_stats')
    op.drop_index('ix_gold_answers_reviewer_id', table_name='gold_answers')
    op.drop_table('gold_answers')
    op.drop_index('ix_gold_photos_project_active', table_name='gold_photos')
    op.drop_table('gold_photos')
    op.drop_index('ix_second_opinions_project_state', table_name='second_opinions')
    op.drop_index('ix_second_opinions_submission_id', table_name='second_opinions')
    op.drop_table('second_opinions')
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_column('gold_percent')
        batch_op.drop_column('second_opinion_percent')
