"""contests, winners and referrals

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 07:48:12.333437

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('open', 'drawn', 'cancelled', name='conteststatus', native_enum=False, length=12), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('prize', sa.String(length=200), nullable=False),
    sa.Column('rules', sa.Text(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('winner_count', sa.Integer(), nullable=False),
    sa.Column('referral_bonus', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('seed_commitment', sa.String(length=64), nullable=False),
    sa.Column('seed', sa.String(length=64), nullable=False),
    sa.Column('drawn_at', sa.DateTime(), nullable=True),
    sa.Column('drawn_by_id', sa.Integer(), nullable=True),
    sa.Column('entries', sa.JSON(), nullable=True),
    sa.Column('excluded', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_contests_created_by_id_users')),
    sa.ForeignKeyConstraint(['drawn_by_id'], ['users.id'], name=op.f('fk_contests_drawn_by_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_contests_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contests'))
    )
    with op.batch_alter_table('contests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contests_project_id'), ['project_id'], unique=False)

    op.create_table('contest_winners',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('pseudonym', sa.String(length=40), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('notified_at', sa.DateTime(), nullable=True),
    sa.Column('fulfilment', sa.Text(), nullable=True),
    sa.Column('fulfilled_at', sa.DateTime(), nullable=True),
    sa.Column('fulfilled_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_contest_winners_contest_id_contests')),
    sa.ForeignKeyConstraint(['fulfilled_by_id'], ['users.id'], name=op.f('fk_contest_winners_fulfilled_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_contest_winners_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contest_winners')),
    sa.UniqueConstraint('contest_id', 'rank', name=op.f('uq_contest_winners_contest_id_rank'))
    )
    with op.batch_alter_table('contest_winners', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contest_winners_contest_id'), ['contest_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('referral_code', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('referred_by_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_users_referral_code'), ['referral_code'])
        batch_op.create_foreign_key(batch_op.f('fk_users_referred_by_id_users'), 'users', ['referred_by_id'], ['id'])



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_referred_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_users_referral_code'), type_='unique')
        batch_op.drop_column('referred_by_id')
        batch_op.drop_column('referral_code')

    with op.batch_alter_table('contest_winners', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contest_winners_contest_id'))

    op.drop_table('contest_winners')
    with op.batch_alter_table('contests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contests_project_id'))

    op.drop_table('contests')
