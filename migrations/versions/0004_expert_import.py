"""expert import

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import registry.models.base


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    # An uploaded spreadsheet of experts, kept between its preview and its import: any worker
    # can read it back, and its status moves from pending once (imported or discarded).
    op.create_table('expert_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', registry.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('pending', 'imported', 'discarded', name='importstatus',
                                native_enum=False, length=16), nullable=False),
    sa.Column('finished_at', registry.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('summary', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()),
                                                'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'],
                            name=op.f('fk_expert_import_uploaded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_import'))
    )
    with op.batch_alter_table('expert_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_import_uploaded_at'), ['uploaded_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('expert_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_import_uploaded_at'))
    op.drop_table('expert_import')
