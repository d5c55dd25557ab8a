"""Create the catalogue: modules, immutable module versions, lessons, questions,
choices, content assets and the certificate program.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 22:14:05.026397
"""

import sqlalchemy as sa
from alembic import op

import training.database

# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('content_asset',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('media_type', sa.String(length=40), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', training.database.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_content_asset'))
    )
    op.create_table('module',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('current_version_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', training.database.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_module')),
    sa.UniqueConstraint('slug', name=op.f('uq_module_slug'))
    )
    op.create_table('program',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('description', sa.JSON(), nullable=False),
    sa.Column('min_score', sa.Integer(), nullable=False),
    sa.Column('hours', sa.Integer(), nullable=False),
    sa.Column('updated_at', training.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('min_score BETWEEN 0 AND 100', name=op.f('ck_program_min_score')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_program')),
    sa.UniqueConstraint('slug', name=op.f('uq_program_slug'))
    )
    op.create_table('module_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('objectives', sa.JSON(), nullable=False),
    sa.Column('prerequisites', sa.JSON(), nullable=False),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('estimated_minutes', sa.Integer(), nullable=False),
    sa.Column('hours', sa.Integer(), nullable=False),
    sa.Column('job_aid_title', sa.JSON(), nullable=False),
    sa.Column('job_aid_html', sa.JSON(), nullable=False),
    sa.Column('pass_mark', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('time_limit_s', sa.Integer(), nullable=True),
    sa.Column('questions_per_attempt', sa.Integer(), nullable=False),
    sa.Column('created_at', training.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('max_attempts >= 1', name=op.f('ck_module_version_max_attempts')),
    sa.CheckConstraint('pass_mark BETWEEN 0 AND 100', name=op.f('ck_module_version_pass_mark')),
    sa.CheckConstraint('questions_per_attempt >= 1', name=op.f('ck_module_version_questions_per_attempt')),
    sa.ForeignKeyConstraint(['module_id'], ['module.id'], name=op.f('fk_module_version_module_id_module')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_module_version')),
    sa.UniqueConstraint('module_id', 'content_hash', name=op.f('uq_module_version_module_id_content_hash')),
    sa.UniqueConstraint('module_id', 'number', name=op.f('uq_module_version_module_id_number'))
    )
    with op.batch_alter_table('module_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_module_version_module_id'), ['module_id'], unique=False)

    # module and module_version point at each other: the pointer is added once both exist.
    with op.batch_alter_table('module', schema=None) as batch_op:
        batch_op.create_foreign_key(
            'fk_module_current_version_id', 'module_version', ['current_version_id'], ['id']
        )

    op.create_table('program_module',
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['module_id'], ['module.id'], name=op.f('fk_program_module_module_id_module')),
    sa.ForeignKeyConstraint(['program_id'], ['program.id'], name=op.f('fk_program_module_program_id_program'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('program_id', 'module_id', name=op.f('pk_program_module'))
    )
    op.create_table('lesson',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('module_version_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('html', sa.JSON(), nullable=False),
    sa.Column('word_count', sa.JSON(), nullable=False),
    sa.CheckConstraint("kind IN ('lesson', 'case_study')", name=op.f('ck_lesson_kind')),
    sa.ForeignKeyConstraint(['module_version_id'], ['module_version.id'], name=op.f('fk_lesson_module_version_id_module_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lesson')),
    sa.UniqueConstraint('module_version_id', 'number', name=op.f('uq_lesson_module_version_id_number'))
    )
    with op.batch_alter_table('lesson', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lesson_module_version_id'), ['module_version_id'], unique=False)

    op.create_table('question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('module_version_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('topic', sa.String(length=40), nullable=False),
    sa.Column('text', sa.JSON(), nullable=False),
    sa.Column('explanation', sa.JSON(), nullable=False),
    sa.CheckConstraint("type IN ('single', 'multiple', 'true_false')", name=op.f('ck_question_type')),
    sa.ForeignKeyConstraint(['module_version_id'], ['module_version.id'], name=op.f('fk_question_module_version_id_module_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question')),
    sa.UniqueConstraint('module_version_id', 'key', name=op.f('uq_question_module_version_id_key'))
    )
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_module_version_id'), ['module_version_id'], unique=False)

    op.create_table('choice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('correct', sa.Boolean(), nullable=False),
    sa.Column('text', sa.JSON(), nullable=False),
    sa.Column('feedback', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_choice_question_id_question')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_choice')),
    sa.UniqueConstraint('question_id', 'key', name=op.f('uq_choice_question_id_key'))
    )
    with op.batch_alter_table('choice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_choice_question_id'), ['question_id'], unique=False)



def downgrade():
    with op.batch_alter_table('choice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_choice_question_id'))

    op.drop_table('choice')
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_module_version_id'))

    op.drop_table('question')
    with op.batch_alter_table('lesson', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lesson_module_version_id'))

    op.drop_table('lesson')
    op.drop_table('program_module')
    with op.batch_alter_table('module_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_module_version_module_id'))

    with op.batch_alter_table('module', schema=None) as batch_op:
        batch_op.drop_constraint('fk_module_current_version_id', type_='foreignkey')
    op.drop_table('module_version')
    op.drop_table('program')
    op.drop_table('module')
    op.drop_table('content_asset')
