"""dataset versions, withdrawal purge times, retention and account deletion

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 07:27:56.618390

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('deletion_confirmations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('covers_until', sa.DateTime(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_deletion_confirmations_project_id_projects')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_deletion_confirmations_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deletion_confirmations'))
    )
    with op.batch_alter_table('deletion_confirmations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deletion_confirmations_project_id'), ['project_id'], unique=False)

    op.create_table('dataset_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('building', 'ready', 'failed', name='datasetversionstatus', native_enum=False, length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('seed', sa.String(length=64), nullable=False),
    sa.Column('train_percent', sa.Integer(), nullable=False),
    sa.Column('validation_percent', sa.Integer(), nullable=False),
    sa.Column('test_percent', sa.Integer(), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('brief_version_id', sa.Integer(), nullable=True),
    sa.Column('photo_count', sa.Integer(), nullable=False),
    sa.Column('added_count', sa.Integer(), nullable=False),
    sa.Column('removed_count', sa.Integer(), nullable=False),
    sa.Column('withdrawn_count', sa.Integer(), nullable=False),
    sa.Column('previous_id', sa.Integer(), nullable=True),
    sa.Column('progress_done', sa.Integer(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('archive_name', sa.String(length=100), nullable=True),
    sa.Column('archive_size', sa.Integer(), nullable=True),
    sa.Column('archive_sha256', sa.String(length=64), nullable=True),
    sa.Column('archive_removed_at', sa.DateTime(), nullable=True),
    sa.Column('archive_removed_reason', sa.String(length=200), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['brief_version_id'], ['brief_versions.id'], name=op.f('fk_dataset_versions_brief_version_id_brief_versions')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_dataset_versions_created_by_id_users')),
    sa.ForeignKeyConstraint(['previous_id'], ['dataset_versions.id'], name=op.f('fk_dataset_versions_previous_id_dataset_versions')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_dataset_versions_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dataset_versions')),
    sa.UniqueConstraint('project_id', 'number', name=op.f('uq_dataset_versions_project_id_number'))
    )
    with op.batch_alter_table('dataset_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dataset_versions_project_id'), ['project_id'], unique=False)

    op.create_table('dataset_downloads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('first_at', sa.DateTime(), nullable=False),
    sa.Column('last_at', sa.DateTime(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_dataset_downloads_user_id_users')),
    sa.ForeignKeyConstraint(['version_id'], ['dataset_versions.id'], name=op.f('fk_dataset_downloads_version_id_dataset_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dataset_downloads')),
    sa.UniqueConstraint('version_id', 'user_id', name=op.f('uq_dataset_downloads_version_id_user_id'))
    )
    with op.batch_alter_table('dataset_downloads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dataset_downloads_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dataset_downloads_version_id'), ['version_id'], unique=False)

    op.create_table('dataset_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('split', sa.Enum('train', 'validation', 'test', name='split', native_enum=False, length=12), nullable=False),
    sa.Column('path', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('pseudonym', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_dataset_items_submission_id_submissions')),
    sa.ForeignKeyConstraint(['version_id'], ['dataset_versions.id'], name=op.f('fk_dataset_items_version_id_dataset_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dataset_items')),
    sa.UniqueConstraint('version_id', 'submission_id', name=op.f('uq_dataset_items_version_id_submission_id'))
    )
    with op.batch_alter_table('dataset_items', schema=None) as batch_op:
        batch_op.create_index('ix_dataset_items_submission_id', ['submission_id'], unique=False)

    op.create_table('dataset_uses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('training', 'model', 'paper', 'evaluation', 'other', name='usekind', native_enum=False, length=12), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_dataset_uses_created_by_id_users')),
    sa.ForeignKeyConstraint(['version_id'], ['dataset_versions.id'], name=op.f('fk_dataset_uses_version_id_dataset_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dataset_uses'))
    )
    with op.batch_alter_table('dataset_uses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dataset_uses_version_id'), ['version_id'], unique=False)

    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawal_grace_days', sa.Integer(), server_default='30', nullable=False))
        batch_op.add_column(sa.Column('pseudonym_salt', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('retention_notice_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('files_purged_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purge_after', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('purged_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_submissions_purge_after'), ['purge_after'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(), nullable=True))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')

    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submissions_purge_after'))
        batch_op.drop_column('purged_at')
        batch_op.drop_column('purge_after')

    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_column('files_purged_at')
        batch_op.drop_column('retention_notice_at')
        batch_op.drop_column('pseudonym_salt')
        batch_op.drop_column('withdrawal_grace_days')

    with op.batch_alter_table('dataset_uses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dataset_uses_version_id'))

    op.drop_table('dataset_uses')
    with op.batch_alter_table('dataset_items', schema=None) as batch_op:
        batch_op.drop_index('ix_dataset_items_submission_id')

    op.drop_table('dataset_items')
    with op.batch_alter_table('dataset_downloads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dataset_downloads_version_id'))
        batch_op.drop_index(batch_op.f('ix_dataset_downloads_user_id'))

    op.drop_table('dataset_downloads')
    with op.batch_alter_table('dataset_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dataset_versions_project_id'))

    op.drop_table('dataset_versions')
    with op.batch_alter_table('deletion_confirmations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deletion_confirmations_project_id'))

    op.drop_table('deletion_confirmations')
