"""every project has its pseudonym salt from creation (backfill, then NOT NULL)

Revision ID: 0011
Revises: 0009
Create Date: 2026-11-24 09:00:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None

projects = sa.table(
    'projects', sa.column('id', sa.Integer), sa.column('pseudonym_salt', sa.String(64))
)


def upgrade():
    # A salt used to be made lazily (and often never saved); give every project without one
    # its own random salt now. Salts already saved are kept: published pseudonyms stay valid.
    bind = op.get_bind()
    missing = bind.execute(
        sa.select(projects.c.id).where(projects.c.pseudonym_salt.is_(None))
    ).scalars().all()
    for project_id in missing:
        bind.execute(
            projects.update()
            .where(projects.c.id == project_id)
            .values(pseudonym_salt=secrets.token_hex(32))
        )
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.alter_column(
            'pseudonym_salt', existing_type=sa.String(length=64), nullable=False
        )


def downgrade():
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.alter_column(
            'pseudonym_salt', existing_type=sa.String(length=64), nullable=True
        )
