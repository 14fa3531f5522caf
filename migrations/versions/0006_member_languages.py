"""Meeting place and access notes in each language, and requests for a meeting's translation

Revision ID: 0006_member_languages
Revises: 0005_security
Create Date: 2026-12-01 15:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_member_languages'
down_revision = '0005_security'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meeting_texts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('venue', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('room', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('accessibility_notes', sa.Text(), nullable=True))

    op.create_table('meeting_translation_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_translation_requests_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requester_id'], ['users.id'], name=op.f('fk_meeting_translation_requests_requester_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_translation_requests')),
    sa.UniqueConstraint('meeting_id', 'language', 'requester_id', name=op.f('uq_meeting_translation_requests_meeting_id'))
    )
    with op.batch_alter_table('meeting_translation_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_translation_requests_meeting_id'), ['meeting_id'], unique=False)


def downgrade():
    with op.batch_alter_table('meeting_translation_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_translation_requests_meeting_id'))

    op.drop_table('meeting_translation_requests')
    with op.batch_alter_table('meeting_texts', schema=None) as batch_op:
        batch_op.drop_column('accessibility_notes')
        batch_op.drop_column('room')
        batch_op.drop_column('venue')
