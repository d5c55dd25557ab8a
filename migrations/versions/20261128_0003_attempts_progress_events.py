"""Create quiz attempts (with one in progress per learner and module), extra-attempt
grants, lesson/module/program progress and the learning event log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 22:20:14.866606
"""

import sqlalchemy as sa
from alembic import op

import training.database

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('ministry_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('module_version_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('started_at', training.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', training.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('submitted_at', training.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.CheckConstraint("status IN ('in_progress', 'submitted', 'expired')", name=op.f('ck_attempt_status')),
    sa.CheckConstraint('score IS NULL OR score BETWEEN 0 AND 100', name=op.f('ck_attempt_score')),
    sa.ForeignKeyConstraint(['ministry_id'], ['ministry.id'], name=op.f('fk_attempt_ministry_id_ministry')),
    sa.ForeignKeyConstraint(['module_id'], ['module.id'], name=op.f('fk_attempt_module_id_module')),
    sa.ForeignKeyConstraint(['module_version_id'], ['module_version.id'], name=op.f('fk_attempt_module_version_id_module_version')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_attempt_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attempt')),
    sa.UniqueConstraint('user_id', 'module_id', 'number', name=op.f('uq_attempt_user_id_module_id_number'))
    )
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attempt_ministry_id'), ['ministry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attempt_module_version_id'), ['module_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attempt_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_attempt_one_in_progress', ['user_id', 'module_id'], unique=True, postgresql_where=sa.text("status = 'in_progress'"), sqlite_where=sa.text("status = 'in_progress'"))

    op.create_table('attempt_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('ministry_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('extra', sa.Integer(), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('created_at', training.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['granted_by_id'], ['user_account.id'], name=op.f('fk_attempt_grant_granted_by_id_user_account')),
    sa.ForeignKeyConstraint(['ministry_id'], ['ministry.id'], name=op.f('fk_attempt_grant_ministry_id_ministry')),
    sa.ForeignKeyConstraint(['module_id'], ['module.id'], name=op.f('fk_attempt_grant_module_id_module')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_attempt_grant_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attempt_grant'))
    )
    with op.batch_alter_table('attempt_grant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attempt_grant_user_id'), ['user_id'], unique=False)

    op.create_table('lesson_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('module_version_id', sa.Integer(), nullable=False),
    sa.Column('read_at', training.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lesson_id'], ['lesson.id'], name=op.f('fk_lesson_progress_lesson_id_lesson')),
    sa.ForeignKeyConstraint(['module_version_id'], ['module_version.id'], name=op.f('fk_lesson_progress_module_version_id_module_version')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_lesson_progress_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lesson_progress')),
    sa.UniqueConstraint('user_id', 'lesson_id', name=op.f('uq_lesson_progress_user_id_lesson_id'))
    )
    with op.batch_alter_table('lesson_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lesson_progress_user_id'), ['user_id'], unique=False)

    op.create_table('module_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('ministry_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('module_version_id', sa.Integer(), nullable=False),
    sa.Column('lessons_read', sa.Integer(), nullable=False),
    sa.Column('best_score', sa.Integer(), nullable=True),
    sa.Column('started_at', training.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('passed_at', training.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_at', training.database.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['ministry_id'], ['ministry.id'], name=op.f('fk_module_progress_ministry_id_ministry')),
    sa.ForeignKeyConstraint(['module_id'], ['module.id'], name=op.f('fk_module_progress_module_id_module')),
    sa.ForeignKeyConstraint(['module_version_id'], ['module_version.id'], name=op.f('fk_module_progress_module_version_id_module_version')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_module_progress_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_module_progress')),
    sa.UniqueConstraint('user_id', 'module_version_id', name=op.f('uq_module_progress_user_id_module_version_id'))
    )
    with op.batch_alter_table('module_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_module_progress_ministry_id'), ['ministry_id'], unique=False)
        batch_op.create_index('ix_module_progress_user_module', ['user_id', 'module_id'], unique=False)

    op.create_table('program_completion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('ministry_id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('completed_at', training.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ministry_id'], ['ministry.id'], name=op.f('fk_program_completion_ministry_id_ministry')),
    sa.ForeignKeyConstraint(['program_id'], ['program.id'], name=op.f('fk_program_completion_program_id_program')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_program_completion_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_program_completion')),
    sa.UniqueConstraint('user_id', 'program_id', name=op.f('uq_program_completion_user_id_program_id'))
    )
    with op.batch_alter_table('program_completion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_program_completion_ministry_id'), ['ministry_id'], unique=False)

    op.create_table('attempt_answer',
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('choice_ids', sa.JSON(), nullable=False),
    sa.Column('credit', sa.Float(), nullable=True),
    sa.Column('correct', sa.Boolean(), nullable=True),
    sa.Column('saved_at', training.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempt.id'], name=op.f('fk_attempt_answer_attempt_id_attempt'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_attempt_answer_question_id_question')),
    sa.PrimaryKeyConstraint('attempt_id', 'question_id', name=op.f('pk_attempt_answer'))
    )
    op.create_table('attempt_question',
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('choice_order', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempt.id'], name=op.f('fk_attempt_question_attempt_id_attempt'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_attempt_question_question_id_question')),
    sa.PrimaryKeyConstraint('attempt_id', 'question_id', name=op.f('pk_attempt_question'))
    )
    op.create_table('learning_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('ministry_id', sa.Integer(), nullable=False),
    sa.Column('verb', sa.String(length=20), nullable=False),
    sa.Column('object_type', sa.String(length=20), nullable=False),
    sa.Column('object_key', sa.String(length=200), nullable=False),
    sa.Column('object_name', sa.JSON(), nullable=False),
    sa.Column('module_version_id', sa.Integer(), nullable=True),
    sa.Column('attempt_id', sa.Integer(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('occurred_at', training.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempt.id'], name=op.f('fk_learning_event_attempt_id_attempt')),
    sa.ForeignKeyConstraint(['ministry_id'], ['ministry.id'], name=op.f('fk_learning_event_ministry_id_ministry')),
    sa.ForeignKeyConstraint(['module_version_id'], ['module_version.id'], name=op.f('fk_learning_event_module_version_id_module_version')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_learning_event_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_learning_event')),
    sa.UniqueConstraint('statement_id', name=op.f('uq_learning_event_statement_id'))
    )
    with op.batch_alter_table('learning_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_learning_event_ministry_id'), ['ministry_id'], unique=False)
        batch_op.create_index('ix_learning_event_user_occurred', ['user_id', 'occurred_at'], unique=False)



def downgrade():
    with op.batch_alter_table('learning_event', schema=None) as batch_op:
        batch_op.drop_index('ix_learning_event_user_occurred')
        batch_op.drop_index(batch_op.f('ix_learning_event_ministry_id'))

    op.drop_table('learning_event')
    op.drop_table('attempt_question')
    op.drop_table('attempt_answer')
    with op.batch_alter_table('program_completion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_program_completion_ministry_id'))

    op.drop_table('program_completion')
    with op.batch_alter_table('module_progress', schema=None) as batch_op:
        batch_op.drop_index('ix_module_progress_user_module')
        batch_op.drop_index(batch_op.f('ix_module_progress_ministry_id'))

    op.drop_table('module_progress')
    with op.batch_alter_table('lesson_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lesson_progress_user_id'))

    op.drop_table('lesson_progress')
    with op.batch_alter_table('attempt_grant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attempt_grant_user_id'))

    op.drop_table('attempt_grant')
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.drop_index('uq_attempt_one_in_progress', postgresql_where=sa.text("status = 'in_progress'"), sqlite_where=sa.text("status = 'in_progress'"))
        batch_op.drop_index(batch_op.f('ix_attempt_user_id'))
        batch_op.drop_index(batch_op.f('ix_attempt_module_version_id'))
        batch_op.drop_index(batch_op.f('ix_attempt_ministry_id'))

    op.drop_table('attempt')
