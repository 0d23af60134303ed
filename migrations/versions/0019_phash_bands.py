"""perceptual-hash bands: an index for the near-duplicate search, backfilled

Revision ID: 0019
Revises: 0013
Create Date: 2026-11-30 06:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0013'
branch_labels = None
depends_on = None

# A copy of trove.media.hashing's banding as it was when this ran (migrations never import
# app code): bands of 21, 21 and 22 bits, high first; key = band index << 22 | value.
BANDS = (21, 21, 22)


def band_keys(phash: int) -> list[int]:
    keys, shift = [], 64
    for index, width in enumerate(BANDS):
        shift -= width
        keys.append(index << 22 | (phash >> shift) & ((1 << width) - 1))
    return keys


def upgrade():
    bands = op.create_table('submission_phash_bands',
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('band_key', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_submission_phash_bands_project_id_projects')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_submission_phash_bands_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('submission_id', 'band_key', name=op.f('pk_submission_phash_bands'))
    )
    # Backfill every hashed photo (withdrawn ones too), in chunks by id.
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.text(
                "SELECT id, project_id, phash FROM submissions "
                "WHERE phash IS NOT NULL AND id > :last ORDER BY id LIMIT 5000"
            ),
            {"last": last},
        ).all()
        if not rows:
            break
        conn.execute(
            bands.insert(),
            [
                {"submission_id": sid, "band_key": key, "project_id": pid}
                for sid, pid, phash in rows
                for key in band_keys(int(phash, 16))
            ],
        )
        last = rows[-1][0]
    op.create_index('ix_submission_phash_bands_lookup', 'submission_phash_bands', ['project_id', 'band_key'], unique=False)


def downgrade():
    op.drop_index('ix_submission_phash_bands_lookup', table_name='submission_phash_bands')
    op.drop_table('submission_phash_bands')
