"""One-time form keys for meetings and documents; the reason a meeting was cancelled

Revision ID: 0008_meeting_changes
Revises: 0007_mail_and_sheets
Create Date: 2026-12-01 14:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_meeting_changes'
down_revision = '0007_mail_and_sheets'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('cancel_reason', sa.Text(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_meetings_submission_key'),
                                          ['submission_key'])

    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_documents_submission_key'),
                                          ['submission_key'])


def downgrade():
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_documents_submission_key'), type_='unique')
        batch_op.drop_column('submission_key')

    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_meetings_submission_key'), type_='unique')
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('submission_key')
