"""import batches

Revision ID: 0003_import_batches
Revises: 0002_company_applications
Create Date: 2026-11-23 06:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003_import_batches'
down_revision = '0002_company_applications'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'import_batch',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('programme_id', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('rows', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('imported_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_import_batch_created_by_id_user'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_import_batch_programme_id_programme'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batch')),
    )
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_batch_programme_id'), ['programme_id'], unique=False)


def downgrade():
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_batch_programme_id'))
    op.drop_table('import_batch')
