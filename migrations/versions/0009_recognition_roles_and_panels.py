"""recognition roles and panels: an agreement names the roles it recognises; arbitrators'
places on arbitration institutions' rosters, with dates

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 17:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# The agreements seeded before roles existed: the YRD memorandum is about technical
# investigators, the Qianhai–Hong Kong arrangement about arbitrators (seeds/agreements.csv).
KNOWN_ROLES = {'YRD': 'investigator', 'GBA': 'arbitrator'}


def upgrade():
    with op.batch_alter_table('recognition_agreement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('roles', sa.String(length=64), nullable=True))
    agreement = sa.table('recognition_agreement', sa.column('code', sa.String()),
                         sa.column('roles', sa.String()))
    for code, roles in KNOWN_ROLES.items():
        op.execute(agreement.update().where(agreement.c.code == code).values(roles=roles))

    op.create_table(
        'panel_membership',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('expert_id', sa.Integer(), nullable=False),
        sa.Column('institution_id', sa.Integer(), nullable=False),
        sa.Column('start', sa.Date(), nullable=True),
        sa.Column('end', sa.Date(), nullable=True),
        sa.Column('note', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('start IS NULL OR "end" IS NULL OR start <= "end"',
                           name=op.f('ck_panel_membership_dates_in_order')),
        sa.ForeignKeyConstraint(['expert_id'], ['expert.id'],
                                name=op.f('fk_panel_membership_expert_id_expert'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['institution_id'], ['organization.id'],
                                name=op.f('fk_panel_membership_institution_id_organization')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_membership')),
    )
    with op.batch_alter_table('panel_membership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_panel_membership_expert_id'), ['expert_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_panel_membership_institution_id'),
                              ['institution_id'], unique=False)


def downgrade():
    with op.batch_alter_table('panel_membership', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_panel_membership_institution_id'))
        batch_op.drop_index(batch_op.f('ix_panel_membership_expert_id'))
    op.drop_table('panel_membership')
    with op.batch_alter_table('recognition_agreement', schema=None) as batch_op:
        batch_op.drop_column('roles')
