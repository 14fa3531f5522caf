"""Reviewing applications: reviewers per call, rubrics, reviews and the pool rule

Revision ID: 0013_review
Revises: 0012_selection
Create Date: 2026-12-01 18:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_review'
down_revision = '0012_selection'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('review_setups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('reviews_per_application', sa.Integer(), nullable=False),
    sa.Column('pool_min_mean_tenths', sa.Integer(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['open_calls.id'], name=op.f('fk_review_setups_call_id_open_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_review_setups_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_setups')),
    sa.UniqueConstraint('call_id', name=op.f('uq_review_setups_call_id'))
    )
    op.create_table('call_reviewers',
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['open_calls.id'], name=op.f('fk_call_reviewers_call_id_open_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_call_reviewers_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'], name=op.f('fk_call_reviewers_assigned_by_id_users')),
    sa.PrimaryKeyConstraint('call_id', 'user_id', name=op.f('pk_call_reviewers'))
    )
    op.create_table('rubric_criteria',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('texts', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['open_calls.id'], name=op.f('fk_rubric_criteria_call_id_open_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rubric_criteria'))
    )
    op.create_index(op.f('ix_rubric_criteria_call_id'), 'rubric_criteria', ['call_id'], unique=False)
    op.create_table('reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('conflict_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('conflict_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_reviews_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_reviews_reviewer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews')),
    sa.UniqueConstraint('application_id', 'reviewer_id', name=op.f('uq_reviews_application_id'))
    )
    op.create_index(op.f('ix_reviews_application_id'), 'reviews', ['application_id'], unique=False)
    op.create_index(op.f('ix_reviews_reviewer_id'), 'reviews', ['reviewer_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_reviews_reviewer_id'), table_name='reviews')
    op.drop_index(op.f('ix_reviews_application_id'), table_name='reviews')
    op.drop_table('reviews')
    op.drop_index(op.f('ix_rubric_criteria_call_id'), table_name='rubric_criteria')
    op.drop_table('rubric_criteria')
    op.drop_table('call_reviewers')
    op.drop_table('review_setups')
