"""tus uploads: photos arriving in pieces, resumable

Revision ID: 0022
Revises: 0020
Create Date: 2026-11-30 08:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('tus_uploads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=43), nullable=False),
    sa.Column('contributor_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('brief_version_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('length', sa.BigInteger(), nullable=False),
    sa.Column('received', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('parts', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['contributor_id'], ['users.id'], name=op.f('fk_tus_uploads_contributor_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_tus_uploads_project_id_projects')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_tus_uploads_submission_id_submissions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tus_uploads')),
    sa.UniqueConstraint('token', name=op.f('uq_tus_uploads_token'))
    )
    op.create_index('ix_tus_uploads_contributor_id', 'tus_uploads', ['contributor_id', 'expires_at'], unique=False)


def downgrade():
    op.drop_index('ix_tus_uploads_contributor_id', table_name='tus_uploads')
    op.drop_table('tus_uploads')
