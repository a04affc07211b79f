"""disclosures: the parties' no-objections and waivers, and organization groups

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-28 17:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

import registry.models.base

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_organization_parent_id'), ['parent_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_organization_parent_id_organization'),
                                    'organization', ['parent_id'], ['id'])

    op.create_table('waiver',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=60), nullable=False),
    sa.Column('kind', sa.Enum('no_objection', 'written_waiver', name='waiverkind',
                              native_enum=False, length=24), nullable=False),
    sa.Column('party', sa.String(length=200), nullable=False),
    sa.Column('given_on', sa.Date(), nullable=False),
    sa.Column('document', sa.String(length=300), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', registry.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_waiver_case_id_case'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['dispatch_request.id'],
                            name=op.f('fk_waiver_request_id_dispatch_request'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'],
                            name=op.f('fk_waiver_expert_id_expert'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'],
                            name=op.f('fk_waiver_recorded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waiver'))
    )
    with op.batch_alter_table('waiver', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waiver_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_waiver_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_waiver_expert_id'), ['expert_id'], unique=False)


def downgrade():
    with op.batch_alter_table('waiver', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_waiver_expert_id'))
        batch_op.drop_index(batch_op.f('ix_waiver_request_id'))
        batch_op.drop_index(batch_op.f('ix_waiver_case_id'))
    op.drop_table('waiver')
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_organization_parent_id_organization'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_organization_parent_id'))
        batch_op.drop_column('parent_id')
