"""natural persons: persons, parties and agents who are persons, experts' relatives

A party is an organisation or a natural person (existing rows are organisations and keep
working); a party may also have an individual agent. Identity numbers are stored as a keyed
HMAC and a Fernet ciphertext only (docs/persons.md).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 17:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

DOCUMENTS = ('resident_id', 'hk_macao_permit', 'taiwan_permit', 'passport',
             'foreign_permanent_id', 'other')
RELATIONS = ('spouse', 'parent', 'child', 'sibling', 'grandparent', 'grandchild',
             'collateral', 'in_law', 'classmate', 'teacher', 'student', 'close_friend',
             'enmity', 'business_partner', 'other')


def upgrade():
    op.create_table(
        'person',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('document_type', sa.Enum(*DOCUMENTS, name='identitydocument',
                                           native_enum=False, length=24), nullable=True),
        sa.Column('identity_hmac', sa.String(length=64), nullable=True),
        sa.Column('identity_encrypted', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(document_type IS NULL AND identity_hmac IS NULL AND identity_encrypted IS NULL)"
            " OR (document_type IS NOT NULL AND identity_hmac IS NOT NULL"
            " AND identity_encrypted IS NOT NULL)", name=op.f('ck_person_identity_whole')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_person')),
    )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_identity_hmac'), ['identity_hmac'],
                              unique=False)

    op.create_table(
        'expert_relation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('expert_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.Enum(*RELATIONS, name='relationkind', native_enum=False,
                                  length=24), nullable=False),
        sa.Column('note', sa.String(length=300), nullable=False),
        sa.Column('declared_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['expert_id'], ['expert.id'],
                                name=op.f('fk_expert_relation_expert_id_expert'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'],
                                name=op.f('fk_expert_relation_person_id_person')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_relation')),
        sa.UniqueConstraint('person_id', name=op.f('uq_expert_relation_person_id')),
    )
    with op.batch_alter_table('expert_relation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_relation_expert_id'), ['expert_id'],
                              unique=False)

    with op.batch_alter_table('party', schema=None) as batch_op:
        batch_op.alter_column('organization_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('person_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('agent_person_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_party_person_id_person'), 'person',
                                    ['person_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_party_agent_person_id_person'), 'person',
                                    ['agent_person_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_party_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_party_agent_person_id'), ['agent_person_id'],
                              unique=False)
        batch_op.create_unique_constraint('uq_party_case_id_person_id',
                                          ['case_id', 'person_id'])
        batch_op.create_check_constraint(
            'ck_party_organization_or_person',
            sa.text('(organization_id IS NULL) <> (person_id IS NULL)'))


def downgrade():
    # Natural-person parties cannot be kept as organisations: they go with their persons.
    op.execute("DELETE FROM party WHERE organization_id IS NULL")
    with op.batch_alter_table('party', schema=None) as batch_op:
        batch_op.drop_constraint('ck_party_organization_or_person', type_='check')
        batch_op.drop_constraint('uq_party_case_id_person_id', type_='unique')
        batch_op.drop_index(batch_op.f('ix_party_agent_person_id'))
        batch_op.drop_index(batch_op.f('ix_party_person_id'))
        batch_op.drop_constraint(batch_op.f('fk_party_agent_person_id_person'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_party_person_id_person'), type_='foreignkey')
        batch_op.drop_column('agent_person_id')
        batch_op.drop_column('person_id')
        batch_op.alter_column('organization_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('expert_relation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_relation_expert_id'))
    op.drop_table('expert_relation')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_identity_hmac'))
    op.drop_table('person')
