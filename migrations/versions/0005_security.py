"""Finance rights wait for a second person; resets go to the address before a staff change; outbox topics

Revision ID: 0005_security
Revises: 0004_documents
Create Date: 2026-12-01 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_security'
down_revision = '0004_documents'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('role_grant_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('member', 'facilitator', 'finance', 'admin', name='role', native_enum=False, length=19), nullable=False),
    sa.Column('status', sa.Enum('pending', 'confirmed', 'declined', name='grantstatus', native_enum=False, length=17), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_role_grant_requests_decided_by_id_users')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_role_grant_requests_requested_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_role_grant_requests_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_grant_requests'))
    )
    with op.batch_alter_table('role_grant_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_role_grant_requests_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_role_grant_requests_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_email', sa.String(length=254), nullable=True))

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('topic', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('topic')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('previous_email')

    with op.batch_alter_table('role_grant_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_role_grant_requests_user_id'))
        batch_op.drop_index(batch_op.f('ix_role_grant_requests_status'))

    op.drop_table('role_grant_requests')
