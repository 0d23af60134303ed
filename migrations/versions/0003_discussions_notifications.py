"""Q&A posts on projects, and in-app notifications

A post is a question (parent_id NULL) or a reply to one; soft-deleted and hidden posts
keep their rows. activity_at orders a project's questions by their latest reply.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 01:17:21.269478

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_id_read_at', ['user_id', 'read_at'], unique=False)

    op.create_table('posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('activity_at', sa.DateTime(), nullable=False),
    sa.Column('edited_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('hidden_at', sa.DateTime(), nullable=True),
    sa.Column('hidden_by_id', sa.Integer(), nullable=True),
    sa.Column('is_official', sa.Boolean(), nullable=False),
    sa.Column('pinned_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_posts_author_id_users')),
    sa.ForeignKeyConstraint(['hidden_by_id'], ['users.id'], name=op.f('fk_posts_hidden_by_id_users')),
    sa.ForeignKeyConstraint(['parent_id'], ['posts.id'], name=op.f('fk_posts_parent_id_posts')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_posts_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_posts'))
    )
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_posts_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_posts_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index('ix_posts_project_id_parent_id_activity_at', ['project_id', 'parent_id', 'activity_at'], unique=False)
        batch_op.create_index('ix_posts_project_id_parent_id_created_at', ['project_id', 'parent_id', 'created_at'], unique=False)



def downgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index('ix_posts_project_id_parent_id_created_at')
        batch_op.drop_index('ix_posts_project_id_parent_id_activity_at')
        batch_op.drop_index(batch_op.f('ix_posts_parent_id'))
        batch_op.drop_index(batch_op.f('ix_posts_author_id'))

    op.drop_table('posts')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_id_read_at')

    op.drop_table('notifications')
