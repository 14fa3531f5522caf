"""Consent to texts for applications: the ledger holds lines about an application too

Revision ID: 0014_application_text_consent
Revises: 0013_review
Create Date: 2026-12-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_application_text_consent'
down_revision = '0013_review'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('texts_allowed', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('text_consents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('application_id', sa.Integer(), nullable=True))
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(batch_op.f('ix_text_consents_application_id'), ['application_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_text_consents_application_id_applications'), 'applications', ['application_id'], ['id'], ondelete='CASCADE')
        batch_op.create_check_constraint(batch_op.f('ck_text_consents_one_holder'), '(user_id IS NULL) <> (application_id IS NULL)')

    _applications_that_chose_texts()


def _applications_that_chose_texts():
    """Someone who chose texts on the application form, with a mobile number, agreed
    to them then: that agreement is written into the ledger as of the day they applied
    (typed in by staff from paper or a call: by whoever typed it)."""
    import phonenumbers

    applications = sa.table(
        'applications', sa.column('id', sa.Integer), sa.column('mobile', sa.String),
        sa.column('preferred_contact', sa.String), sa.column('channel', sa.String),
        sa.column('entered_by_id', sa.Integer), sa.column('consent_at', sa.DateTime),
        sa.column('texts_allowed', sa.Boolean))
    consents = sa.table(
        'text_consents', sa.column('application_id', sa.Integer),
        sa.column('given', sa.Boolean), sa.column('source', sa.String),
        sa.column('phone', sa.String), sa.column('recorded_by_id', sa.Integer),
        sa.column('recorded_at', sa.DateTime))
    connection = op.get_bind()
    rows = connection.execute(sa.select(
        applications.c.id, applications.c.mobile, applications.c.channel,
        applications.c.entered_by_id, applications.c.consent_at).where(
        applications.c.preferred_contact == 'text', applications.c.mobile.is_not(None))).all()
    for application_id, mobile, channel, entered_by_id, consent_at in rows:
        phone = mobile[:20]
        try:
            number = phonenumbers.parse(mobile, 'US')
            if phonenumbers.is_valid_number(number):
                phone = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            pass
        connection.execute(consents.insert().values(
            application_id=application_id, given=True,
            source='application' if channel == 'online' else 'paper', phone=phone,
            recorded_by_id=None if channel == 'online' else entered_by_id,
            recorded_at=consent_at))
        connection.execute(applications.update().where(applications.c.id == application_id)
                           .values(texts_allowed=True))


def downgrade():
    op.execute("DELETE FROM text_consents WHERE application_id IS NOT NULL")
    with op.batch_alter_table('text_consents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_text_consents_one_holder'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_text_consents_application_id_applications'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_text_consents_application_id'))
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('application_id')

    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_column('texts_allowed')
