"""payout batches and items; each earning links to the item paying it

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 02:27:31.011860

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('payout_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.Enum('draft', 'approved', 'sending', 'sent', 'processing', 'completed', 'failed', 'manual', 'cancelled', name='payoutbatchstatus', native_enum=False, length=12), nullable=False),
    sa.Column('manual', sa.Boolean(), nullable=False),
    sa.Column('total_minor', sa.Integer(), nullable=False),
    sa.Column('item_count', sa.Integer(), nullable=False),
    sa.Column('earning_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.Column('sender_batch_id', sa.String(length=64), nullable=True),
    sa.Column('paypal_batch_id', sa.String(length=64), nullable=True),
    sa.Column('paypal_status', sa.String(length=20), nullable=True),
    sa.Column('send_attempts', sa.Integer(), nullable=False),
    sa.Column('last_checked_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_payout_batches_approved_by_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_payout_batches_created_by_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_payout_batches_project_id_projects')),
    sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'], name=op.f('fk_payout_batches_sent_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_batches')),
    sa.UniqueConstraint('sender_batch_id', name=op.f('uq_payout_batches_sender_batch_id'))
    )
    with op.batch_alter_table('payout_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_batches_paypal_batch_id'), ['paypal_batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payout_batches_project_id'), ['project_id'], unique=False)
        batch_op.create_index('ix_payout_batches_status', ['status'], unique=False)

    op.create_table('payout_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('contributor_id', sa.Integer(), nullable=False),
    sa.Column('receiver', sa.String(length=254), nullable=False),
    sa.Column('amount_minor', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('earning_count', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'paid', 'failed', 'unclaimed', 'returned', 'cancelled', name='payoutitemstatus', native_enum=False, length=12), nullable=False),
    sa.Column('sender_item_id', sa.String(length=64), nullable=True),
    sa.Column('paypal_item_id', sa.String(length=64), nullable=True),
    sa.Column('transaction_id', sa.String(length=64), nullable=True),
    sa.Column('transaction_status', sa.String(length=20), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('settled_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['payout_batches.id'], name=op.f('fk_payout_items_batch_id_payout_batches')),
    sa.ForeignKeyConstraint(['contributor_id'], ['users.id'], name=op.f('fk_payout_items_contributor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_items')),
    sa.UniqueConstraint('batch_id', 'contributor_id', name=op.f('uq_payout_items_batch_id_contributor_id')),
    sa.UniqueConstraint('sender_item_id', name=op.f('uq_payout_items_sender_item_id'))
    )
    with op.batch_alter_table('payout_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_items_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payout_items_contributor_id'), ['contributor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payout_items_paypal_item_id'), ['paypal_item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payout_items_settled_at'), ['settled_at'], unique=False)

    with op.batch_alter_table('earnings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payout_item_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_earnings_payout_item_id'), ['payout_item_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_earnings_payout_item_id_payout_items'), 'payout_items', ['payout_item_id'], ['id'])

    op.create_table('payout_item_earnings',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('earning_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['earning_id'], ['earnings.id'], name=op.f('fk_payout_item_earnings_earning_id_earnings')),
    sa.ForeignKeyConstraint(['item_id'], ['payout_items.id'], name=op.f('fk_payout_item_earnings_item_id_payout_items')),
    sa.PrimaryKeyConstraint('item_id', 'earning_id', name=op.f('pk_payout_item_earnings'))
    )
    with op.batch_alter_table('payout_item_earnings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_item_earnings_earning_id'), ['earning_id'], unique=False)


def downgrade():
    with op.batch_alter_table('payout_item_earnings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payout_item_earnings_earning_id'))

    op.drop_table('payout_item_earnings')
    with op.batch_alter_table('earnings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_earnings_payout_item_id_payout_items'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_earnings_payout_item_id'))
        batch_op.drop_column('payout_item_id')

    with op.batch_alter_table('payout_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payout_items_settled_at'))
        batch_op.drop_index(batch_op.f('ix_payout_items_paypal_item_id'))
        batch_op.drop_index(batch_op.f('ix_payout_items_contributor_id'))
        batch_op.drop_index(batch_op.f('ix_payout_items_batch_id'))

    op.drop_table('payout_items')
    with op.batch_alter_table('payout_batches', schema=None) as batch_op:
        batch_op.drop_index('ix_payout_batches_status')
        batch_op.drop_index(batch_op.f('ix_payout_batches_project_id'))
        batch_op.drop_index(batch_op.f('ix_payout_batches_paypal_batch_id'))

    op.drop_table('payout_batches')
