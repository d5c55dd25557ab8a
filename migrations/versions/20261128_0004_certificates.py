"""Create certificates (one pending or valid per learner and program), signing keys and
serial counters; add certificate branding and approval policy to ministries.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 22:41:51.332701
"""

import sqlalchemy as sa
from alembic import op

import training.database

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('serial_counter',
    sa.Column('ministry_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['ministry_id'], ['ministry.id'], name=op.f('fk_serial_counter_ministry_id_ministry')),
    sa.PrimaryKeyConstraint('ministry_id', 'year', name=op.f('pk_serial_counter'))
    )
    op.create_table('signing_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ministry_id', sa.Integer(), nullable=False),
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('private_key_pem', sa.Text(), nullable=False),
    sa.Column('created_at', training.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('retired_at', training.database.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['ministry_id'], ['ministry.id'], name=op.f('fk_signing_key_ministry_id_ministry')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signing_key')),
    sa.UniqueConstraint('kid', name=op.f('uq_signing_key_kid'))
    )
    with op.batch_alter_table('signing_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signing_key_ministry_id'), ['ministry_id'], unique=False)

    op.create_table('certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=32), nullable=True),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('ministry_id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('holder_name', sa.String(length=200), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('hours', sa.Integer(), nullable=False),
    sa.Column('modules', sa.JSON(), nullable=False),
    sa.Column('subject_id', sa.String(length=45), nullable=False),
    sa.Column('requested_at', training.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('issued_at', training.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('kid', sa.String(length=64), nullable=True),
    sa.Column('signature', sa.String(length=128), nullable=True),
    sa.Column('revoked_at', training.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revocation_reason', sa.String(length=500), nullable=True),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status = 'pending' OR serial IS NOT NULL", name=op.f('ck_certificate_serial_when_issued')),
    sa.CheckConstraint("status IN ('pending', 'valid', 'revoked')", name=op.f('ck_certificate_status')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['user_account.id'], name=op.f('fk_certificate_issued_by_id_user_account')),
    sa.ForeignKeyConstraint(['ministry_id'], ['ministry.id'], name=op.f('fk_certificate_ministry_id_ministry')),
    sa.ForeignKeyConstraint(['program_id'], ['program.id'], name=op.f('fk_certificate_program_id_program')),
    sa.ForeignKeyConstraint(['replaces_id'], ['certificate.id'], name=op.f('fk_certificate_replaces_id_certificate')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_certificate_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate')),
    sa.UniqueConstraint('code', name=op.f('uq_certificate_code')),
    sa.UniqueConstraint('serial', name=op.f('uq_certificate_serial'))
    )
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_ministry_id'), ['ministry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificate_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_certificate_one_current', ['user_id', 'program_id'], unique=True, postgresql_where=sa.text("status IN ('pending', 'valid')"), sqlite_where=sa.text("status IN ('pending', 'valid')"))

    with op.batch_alter_table('ministry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signatory_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('signatory_title', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('serial_prefix', sa.String(length=8), nullable=True))
        # Existing ministries issue automatically until they choose otherwise.
        batch_op.add_column(sa.Column('certificate_approval', sa.String(length=10),
                                      nullable=False, server_default='automatic'))
        batch_op.create_check_constraint(
            'certificate_approval', "certificate_approval IN ('automatic', 'manual')"
        )



def downgrade():
    with op.batch_alter_table('ministry', schema=None) as batch_op:
        batch_op.drop_constraint('certificate_approval', type_='check')
        batch_op.drop_column('certificate_approval')
        batch_op.drop_column('serial_prefix')
        batch_op.drop_column('signatory_title')
        batch_op.drop_column('signatory_name')

    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_index('uq_certificate_one_current', postgresql_where=sa.text("status IN ('pending', 'valid')"), sqlite_where=sa.text("status IN ('pending', 'valid')"))
        batch_op.drop_index(batch_op.f('ix_certificate_user_id'))
        batch_op.drop_index(batch_op.f('ix_certificate_ministry_id'))

    op.drop_table('certificate')
    with op.batch_alter_table('signing_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signing_key_ministry_id'))

    op.drop_table('signing_key')
    op.drop_table('serial_counter')
