"""recusal lifecycle: a party's challenge (申请回避) with its decision and one review, and the
parties' notice of the technical investigator (SPC 2019 Art. 3)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 17:30:00.000000

A self-recusal (自行回避) needs no table: it is an `exclusion` row with the reason `recusal`.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

STATUSES = ('pending', 'upheld', 'rejected', 'review_pending', 'review_upheld',
            'review_rejected')
DECIDERS = ('presiding_judge', 'institution_chair', 'institution_committee', 'agency_head')


def _decider(name):
    return sa.Column(name, sa.Enum(*DECIDERS, name='deciderrole', native_enum=False,
                                   length=32), nullable=True)


def upgrade():
    op.create_table(
        'challenge',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('expert_id', sa.Integer(), nullable=False),
        sa.Column('party_id', sa.Integer(), nullable=False),
        sa.Column('grounds', sa.Text(), nullable=False),
        sa.Column('applied_on', sa.Date(), nullable=False),
        sa.Column('status', sa.Enum(*STATUSES, name='challengestatus', native_enum=False,
                                    length=24), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_on', sa.Date(), nullable=True),
        sa.Column('decider_name', sa.String(length=100), nullable=False),
        _decider('decider_role'),
        sa.Column('decision_reason', sa.Text(), nullable=False),
        sa.Column('decision_recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('review_requested_on', sa.Date(), nullable=True),
        sa.Column('review_grounds', sa.Text(), nullable=False),
        sa.Column('review_decided_on', sa.Date(), nullable=True),
        sa.Column('review_decider_name', sa.String(length=100), nullable=False),
        _decider('review_decider_role'),
        sa.Column('review_reason', sa.Text(), nullable=False),
        sa.Column('review_recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_challenge_case_id_case')),
        sa.ForeignKeyConstraint(['expert_id'], ['expert.id'],
                                name=op.f('fk_challenge_expert_id_expert')),
        sa.ForeignKeyConstraint(['party_id'], ['party.id'],
                                name=op.f('fk_challenge_party_id_party')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'],
                                name=op.f('fk_challenge_recorded_by_id_user')),
        sa.ForeignKeyConstraint(['decision_recorded_by_id'], ['user.id'],
                                name=op.f('fk_challenge_decision_recorded_by_id_user')),
        sa.ForeignKeyConstraint(['review_recorded_by_id'], ['user.id'],
                                name=op.f('fk_challenge_review_recorded_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_challenge')),
    )
    with op.batch_alter_table('challenge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_challenge_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenge_expert_id'), ['expert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenge_status'), ['status'], unique=False)
    op.create_table(
        'parties_notice',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('assignment_id', sa.Integer(), nullable=False),
        sa.Column('expert_id', sa.Integer(), nullable=False),
        sa.Column('confirmed_on', sa.Date(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('served_on', sa.Date(), nullable=True),
        sa.Column('served_how', sa.String(length=100), nullable=False),
        sa.Column('served_by_id', sa.Integer(), nullable=True),
        sa.Column('served_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['case.id'],
                                name=op.f('fk_parties_notice_case_id_case')),
        sa.ForeignKeyConstraint(['assignment_id'], ['assignment.id'],
                                name=op.f('fk_parties_notice_assignment_id_assignment')),
        sa.ForeignKeyConstraint(['expert_id'], ['expert.id'],
                                name=op.f('fk_parties_notice_expert_id_expert')),
        sa.ForeignKeyConstraint(['served_by_id'], ['user.id'],
                                name=op.f('fk_parties_notice_served_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_parties_notice')),
        sa.UniqueConstraint('assignment_id', name=op.f('uq_parties_notice_assignment_id')),
    )
    with op.batch_alter_table('parties_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_parties_notice_case_id'), ['case_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('parties_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_parties_notice_case_id'))
    op.drop_table('parties_notice')
    with op.batch_alter_table('challenge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_challenge_status'))
        batch_op.drop_index(batch_op.f('ix_challenge_expert_id'))
        batch_op.drop_index(batch_op.f('ix_challenge_case_id'))
    op.drop_table('challenge')
