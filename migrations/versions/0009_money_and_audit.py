"""Why a payment was voided (to tell the member), finance-only tax details, and program
names and installment labels in more than one language

Revision ID: 0009_money_and_audit
Revises: 0008_meeting_changes
Create Date: 2026-12-01 14:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_money_and_audit'
down_revision = '0008_meeting_changes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('tax_details',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('legal_name', sa.String(length=160), nullable=True),
    sa.Column('address_line1', sa.String(length=200), nullable=True),
    sa.Column('address_line2', sa.String(length=200), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('state', sa.String(length=60), nullable=True),
    sa.Column('postal_code', sa.String(length=20), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_tax_details_updated_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_tax_details_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tax_details')),
    sa.UniqueConstraint('user_id', name=op.f('uq_tax_details_user_id'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('void_reason_kind', sa.Enum('lost', 'wrong_amount', 'recorded_twice', 'wrong_details', 'other', name='voidreason', native_enum=False, length=22), nullable=True))

    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=10), server_default='en', nullable=False))
        batch_op.add_column(sa.Column('name_translations', sa.JSON(), nullable=True))

    with op.batch_alter_table('installments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('label_translations', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('installments', schema=None) as batch_op:
        batch_op.drop_column('label_translations')

    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.drop_column('name_translations')
        batch_op.drop_column('language')

    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('void_reason_kind')

    op.drop_table('tax_details')
