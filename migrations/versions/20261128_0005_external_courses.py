"""Create the external course registry: courses (global or per ministry), the modules
they complement, per-ministry program credit, launches, completions (self-reported with
evidence, or imported; verified by a coordinator) and the link-check history.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 22:55:14.349681
"""

import sqlalchemy as sa
from alembic import op

import training.database

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('external_course',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ministry_id', sa.Integer(), nullable=True),
    sa.Column('provider', sa.String(length=120), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('description', sa.JSON(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', training.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', training.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("language IN ('es', 'en', 'fr')", name=op.f('ck_external_course_language')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_external_course_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['ministry_id'], ['ministry.id'], name=op.f('fk_external_course_ministry_id_ministry')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_external_course'))
    )
    with op.batch_alter_table('external_course', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_external_course_ministry_id'), ['ministry_id'], unique=False)

    op.create_table('external_completion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('ministry_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('source', sa.String(length=15), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('evidence_name', sa.String(length=64), nullable=True),
    sa.Column('evidence_type', sa.String(length=40), nullable=True),
    sa.Column('evidence_size', sa.Integer(), nullable=True),
    sa.Column('reported_at', training.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', training.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('review_note', sa.String(length=500), nullable=True),
    sa.CheckConstraint("evidence_type IS NULL OR evidence_type IN ('application/pdf', 'image/png', 'image/jpeg')", name=op.f('ck_external_completion_evidence_type')),
    sa.CheckConstraint("source IN ('self_reported', 'imported')", name=op.f('ck_external_completion_source')),
    sa.CheckConstraint("status IN ('reported', 'verified', 'rejected')", name=op.f('ck_external_completion_status')),
    sa.ForeignKeyConstraint(['course_id'], ['external_course.id'], name=op.f('fk_external_completion_course_id_external_course')),
    sa.ForeignKeyConstraint(['ministry_id'], ['ministry.id'], name=op.f('fk_external_completion_ministry_id_ministry')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['user_account.id'], name=op.f('fk_external_completion_reviewed_by_id_user_account')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_external_completion_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_external_completion')),
    sa.UniqueConstraint('user_id', 'course_id', name=op.f('uq_external_completion_user_id_course_id'))
    )
    with op.batch_alter_table('external_completion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_external_completion_course_id'), ['course_id'], unique=False)
        batch_op.create_index('ix_external_completion_ministry_status', ['ministry_id', 'status'], unique=False)

    op.create_table('external_course_credit',
    sa.Column('ministry_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.Column('set_at', training.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['external_course.id'], name=op.f('fk_external_course_credit_course_id_external_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ministry_id'], ['ministry.id'], name=op.f('fk_external_course_credit_ministry_id_ministry')),
    sa.ForeignKeyConstraint(['set_by_id'], ['user_account.id'], name=op.f('fk_external_course_credit_set_by_id_user_account')),
    sa.PrimaryKeyConstraint('ministry_id', 'course_id', name=op.f('pk_external_course_credit'))
    )
    op.create_table('external_course_module',
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['external_course.id'], name=op.f('fk_external_course_module_course_id_external_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['module_id'], ['module.id'], name=op.f('fk_external_course_module_module_id_module')),
    sa.PrimaryKeyConstraint('course_id', 'module_id', name=op.f('pk_external_course_module'))
    )
    op.create_table('external_launch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('ministry_id', sa.Integer(), nullable=False),
    sa.Column('launched_at', training.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['external_course.id'], name=op.f('fk_external_launch_course_id_external_course')),
    sa.ForeignKeyConstraint(['ministry_id'], ['ministry.id'], name=op.f('fk_external_launch_ministry_id_ministry')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_external_launch_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_external_launch'))
    )
    with op.batch_alter_table('external_launch', schema=None) as batch_op:
        batch_op.create_index('ix_external_launch_course_user', ['course_id', 'user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_external_launch_ministry_id'), ['ministry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_external_launch_user_id'), ['user_id'], unique=False)

    op.create_table('external_link_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('checked_at', training.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=300), nullable=True),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['external_course.id'], name=op.f('fk_external_link_check_course_id_external_course'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_external_link_check'))
    )
    with op.batch_alter_table('external_link_check', schema=None) as batch_op:
        batch_op.create_index('ix_external_link_check_course_checked', ['course_id', 'checked_at'], unique=False)



def downgrade():
    with op.batch_alter_table('external_link_check', schema=None) as batch_op:
        batch_op.drop_index('ix_external_link_check_course_checked')

    op.drop_table('external_link_check')
    with op.batch_alter_table('external_launch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_external_launch_user_id'))
        batch_op.drop_index(batch_op.f('ix_external_launch_ministry_id'))
        batch_op.drop_index('ix_external_launch_course_user')

    op.drop_table('external_launch')
    op.drop_table('external_course_module')
    op.drop_table('external_course_credit')
    with op.batch_alter_table('external_completion', schema=None) as batch_op:
        batch_op.drop_index('ix_external_completion_ministry_status')
        batch_op.drop_index(batch_op.f('ix_external_completion_course_id'))

    op.drop_table('external_completion')
    with op.batch_alter_table('external_course', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_external_course_ministry_id'))

    op.drop_table('external_course')
