"""Initial schema: offices, catalogue, users, dossiers, events, attachments, outbox.

Revision ID: 0001_initial
Revises: 
Create Date: 2026-11-25 17:08:37.443074
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0001_initial'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # procedure and procedure_version reference each other: SQLite takes the forward
    # reference inline; PostgreSQL gets the constraint once both tables exist.
    sqlite = op.get_bind().dialect.name == "sqlite"
    current_version_fk = [sa.ForeignKeyConstraint(
        ['current_version_id'], ['procedure_version.id'], name='fk_procedure_current_version'
    )] if sqlite else []

    op.create_table('office',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('kind', sa.Enum('province', 'centre', 'department', 'commune', name='office_kind', native_enum=False, length=20), nullable=False),
    sa.Column('admin_unit_code', sa.Integer(), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=500), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('hours', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('successor_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['office.id'], name=op.f('fk_office_parent_id_office')),
    sa.ForeignKeyConstraint(['successor_id'], ['office.id'], name=op.f('fk_office_successor_id_office')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_office')),
    sa.UniqueConstraint('agency_code', name=op.f('uq_office_agency_code'))
    )
    op.create_table('procedure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('field', sa.String(length=500), nullable=False),
    sa.Column('online_level', sa.String(length=10), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('current_version_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    *current_version_fk,
    sa.PrimaryKeyConstraint('id', name=op.f('pk_procedure')),
    sa.UniqueConstraint('code', name=op.f('uq_procedure_code'))
    )
    with op.batch_alter_table('procedure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_procedure_field'), ['field'], unique=False)
        batch_op.create_index(batch_op.f('ix_procedure_online_level'), ['online_level'], unique=False)

    op.create_table('calendar_day',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=True),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['office.id'], name=op.f('fk_calendar_day_office_id_office')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_day')),
    sa.UniqueConstraint('office_id', 'day', name=op.f('uq_calendar_day_office_id'))
    )
    op.create_table('dossier_counter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['office.id'], name=op.f('fk_dossier_counter_office_id_office')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dossier_counter')),
    sa.UniqueConstraint('office_id', 'day', name=op.f('uq_dossier_counter_office_id'))
    )
    op.create_table('procedure_office',
    sa.Column('procedure_id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['office.id'], name=op.f('fk_procedure_office_office_id_office'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['procedure_id'], ['procedure.id'], name=op.f('fk_procedure_office_procedure_id_procedure'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('procedure_id', 'office_id', name=op.f('pk_procedure_office'))
    )
    op.create_table('procedure_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('procedure_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['procedure_id'], ['procedure.id'], name=op.f('fk_procedure_version_procedure_id_procedure')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_procedure_version')),
    sa.UniqueConstraint('procedure_id', 'number', name=op.f('uq_procedure_version_procedure_id'))
    )
    if not sqlite:
        op.create_foreign_key('fk_procedure_current_version', 'procedure',
                              'procedure_version', ['current_version_id'], ['id'])
    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('phone_verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('roles', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('consent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('profile', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['office.id'], name=op.f('fk_user_account_office_id_office')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('email', name=op.f('uq_user_account_email')),
    sa.UniqueConstraint('phone', name=op.f('uq_user_account_phone')),
    sa.UniqueConstraint('public_id', name=op.f('uq_user_account_public_id'))
    )
    op.create_table('dossier',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=True),
    sa.Column('ref', sa.String(length=8), nullable=True),
    sa.Column('procedure_id', sa.Integer(), nullable=False),
    sa.Column('procedure_version_id', sa.Integer(), nullable=False),
    sa.Column('receiving_office_id', sa.Integer(), nullable=True),
    sa.Column('handling_office_id', sa.Integer(), nullable=True),
    sa.Column('applicant_user_id', sa.Integer(), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('applicant', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('applicant_name_search', sa.String(length=300), nullable=False),
    sa.Column('applicant_phone', sa.String(length=20), nullable=True),
    sa.Column('answers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', 'accepted', 'not_accepted', 'in_progress', 'supplement_requested', 'payment_requested', 'withdrawn', 'stopped', 'done', 'returned', name='dossier_status', native_enum=False, length=30), nullable=False),
    sa.Column('resume_status', sa.String(length=30), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('intake_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('remaining_seconds', sa.BigInteger(), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivery', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('fee', sa.BigInteger(), nullable=False),
    sa.Column('payment_state', sa.String(length=12), nullable=False),
    sa.Column('result', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('verification_token', sa.String(length=64), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('rating_comment', sa.Text(), nullable=True),
    sa.Column('submission_nonce', sa.String(length=64), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['applicant_user_id'], ['user_account.id'], name=op.f('fk_dossier_applicant_user_id_user_account')),
    sa.ForeignKeyConstraint(['assignee_id'], ['user_account.id'], name=op.f('fk_dossier_assignee_id_user_account')),
    sa.ForeignKeyConstraint(['handling_office_id'], ['office.id'], name=op.f('fk_dossier_handling_office_id_office')),
    sa.ForeignKeyConstraint(['procedure_id'], ['procedure.id'], name=op.f('fk_dossier_procedure_id_procedure')),
    sa.ForeignKeyConstraint(['procedure_version_id'], ['procedure_version.id'], name=op.f('fk_dossier_procedure_version_id_procedure_version')),
    sa.ForeignKeyConstraint(['receiving_office_id'], ['office.id'], name=op.f('fk_dossier_receiving_office_id_office')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dossier')),
    sa.UniqueConstraint('code', name=op.f('uq_dossier_code')),
    sa.UniqueConstraint('public_id', name=op.f('uq_dossier_public_id')),
    sa.UniqueConstraint('ref', name=op.f('uq_dossier_ref')),
    sa.UniqueConstraint('submission_nonce', name=op.f('uq_dossier_submission_nonce')),
    sa.UniqueConstraint('verification_token', name=op.f('uq_dossier_verification_token'))
    )
    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dossier_applicant_phone'), ['applicant_phone'], unique=False)
        batch_op.create_index(batch_op.f('ix_dossier_applicant_user_id'), ['applicant_user_id'], unique=False)
        batch_op.create_index('ix_dossier_handling_status_due', ['handling_office_id', 'status', 'due_at'], unique=False)
        batch_op.create_index('ix_dossier_office_status_due', ['receiving_office_id', 'status', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_dossier_procedure_id'), ['procedure_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dossier_status'), ['status'], unique=False)

    op.create_table('procedure_level_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('procedure_id', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('old_level', sa.String(length=10), nullable=True),
    sa.Column('new_level', sa.String(length=10), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['procedure_id'], ['procedure.id'], name=op.f('fk_procedure_level_change_procedure_id_procedure')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_procedure_level_change_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_procedure_level_change'))
    )
    with op.batch_alter_table('procedure_level_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_procedure_level_change_procedure_id'), ['procedure_id'], unique=False)

    op.create_table('user_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('token_hash', sa.String(length=128), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_user_token_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_token_token_hash'))
    )
    with op.batch_alter_table('user_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_token_user_id'), ['user_id'], unique=False)

    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('document_key', sa.String(length=40), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=50), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('uploader_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_attachment_dossier_id_dossier')),
    sa.ForeignKeyConstraint(['uploader_id'], ['user_account.id'], name=op.f('fk_attachment_uploader_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment')),
    sa.UniqueConstraint('public_id', name=op.f('uq_attachment_public_id'))
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_dossier_id'), ['dossier_id'], unique=False)

    op.create_table('dossier_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('from_status', sa.String(length=30), nullable=True),
    sa.Column('to_status', sa.String(length=30), nullable=False),
    sa.Column('from_office_id', sa.Integer(), nullable=True),
    sa.Column('to_office_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_dossier_event_actor_id_user_account')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_dossier_event_dossier_id_dossier')),
    sa.ForeignKeyConstraint(['from_office_id'], ['office.id'], name=op.f('fk_dossier_event_from_office_id_office')),
    sa.ForeignKeyConstraint(['to_office_id'], ['office.id'], name=op.f('fk_dossier_event_to_office_id_office')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dossier_event'))
    )
    with op.batch_alter_table('dossier_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dossier_event_dossier_id'), ['dossier_id'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('recipient', sa.String(length=300), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_notification_dossier_id_dossier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_dossier_id'), ['dossier_id'], unique=False)
        batch_op.create_index('ix_notification_state_next', ['state', 'next_attempt_at'], unique=False)




def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint('fk_procedure_current_version', 'procedure', type_='foreignkey')

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_state_next')
        batch_op.drop_index(batch_op.f('ix_notification_dossier_id'))

    op.drop_table('notification')
    with op.batch_alter_table('dossier_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossier_event_dossier_id'))

    op.drop_table('dossier_event')
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_dossier_id'))

    op.drop_table('attachment')
    with op.batch_alter_table('user_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_token_user_id'))

    op.drop_table('user_token')
    with op.batch_alter_table('procedure_level_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_procedure_level_change_procedure_id'))

    op.drop_table('procedure_level_change')
    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossier_status'))
        batch_op.drop_index(batch_op.f('ix_dossier_procedure_id'))
        batch_op.drop_index('ix_dossier_office_status_due')
        batch_op.drop_index('ix_dossier_handling_status_due')
        batch_op.drop_index(batch_op.f('ix_dossier_applicant_user_id'))
        batch_op.drop_index(batch_op.f('ix_dossier_applicant_phone'))

    op.drop_table('dossier')
    op.drop_table('user_account')
    op.drop_table('procedure_version')
    op.drop_table('procedure_office')
    op.drop_table('dossier_counter')
    op.drop_table('calendar_day')
    with op.batch_alter_table('procedure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_procedure_online_level'))
        batch_op.drop_index(batch_op.f('ix_procedure_field'))

    op.drop_table('procedure')
    op.drop_table('office')

