"""organisations (carriers, partners), programme settings and public pages

Revision ID: 0013_programme_setup
Revises: 0012_registration_payload
Create Date: 2026-12-02 16:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_programme_setup'
down_revision = '0012_registration_payload'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'organisation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('address', sa.String(length=500), nullable=True),
        sa.Column('website', sa.String(length=300), nullable=True),
        sa.Column('contact_name', sa.String(length=200), nullable=True),
        sa.Column('contact_email', sa.String(length=254), nullable=True),
        sa.Column('contact_phone', sa.String(length=50), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation')),
        sa.UniqueConstraint('name', name=op.f('uq_organisation_name')),
    )
    # The old on/off flag keeps its values under its new name; the window's ends start open.
    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.alter_column('is_open', new_column_name='applications_enabled', existing_type=sa.Boolean(),
                              existing_nullable=False, server_default=sa.true())
        batch_op.add_column(sa.Column('applications_open_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('applications_open_until', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('carrier_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('description', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('contact_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('contact_email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('contact_phone', sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column('default_group_min', sa.Integer(), nullable=False, server_default='2'))
        batch_op.add_column(sa.Column('default_group_max', sa.Integer(), nullable=False, server_default='4'))
        batch_op.add_column(sa.Column('default_cycle_months', sa.Integer(), nullable=False, server_default='12'))
        batch_op.add_column(sa.Column('is_esf_plus', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('funding_project_number', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('funding_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.create_index(batch_op.f('ix_programme_carrier_id'), ['carrier_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_programme_carrier_id_organisation'), 'organisation',
                                    ['carrier_id'], ['id'], ondelete='SET NULL')
    op.create_table(
        'programme_partner',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('programme_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'],
                                name=op.f('fk_programme_partner_organisation_id_organisation'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['programme_id'], ['programme.id'],
                                name=op.f('fk_programme_partner_programme_id_programme'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_partner')),
        sa.UniqueConstraint('programme_id', 'organisation_id', 'role',
                            name=op.f('uq_programme_partner_programme_id')),
    )
    with op.batch_alter_table('programme_partner', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programme_partner_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_programme_partner_programme_id'), ['programme_id'], unique=False)


def downgrade():
    with op.batch_alter_table('programme_partner', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programme_partner_programme_id'))
        batch_op.drop_index(batch_op.f('ix_programme_partner_organisation_id'))
    op.drop_table('programme_partner')
    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_programme_carrier_id_organisation'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_programme_carrier_id'))
        for column in ('version', 'updated_at', 'funding_note', 'funding_project_number', 'is_esf_plus',
                       'default_cycle_months', 'default_group_max', 'default_group_min', 'contact_phone',
                       'contact_email', 'contact_name', 'description', 'carrier_id', 'applications_open_until',
                       'applications_open_from'):
            batch_op.drop_column(column)
        batch_op.alter_column('applications_enabled', new_column_name='is_open', existing_type=sa.Boolean(),
                              existing_nullable=False, server_default=sa.true())
    op.drop_table('organisation')
