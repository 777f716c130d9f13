"""a registration's details wait in its link's token until the link is opened

Revision ID: 0012_registration_payload
Revises: 0011_throttle
Create Date: 2026-12-02 16:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_registration_payload'
down_revision = '0011_throttle'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('one_time_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payload', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('one_time_token', schema=None) as batch_op:
        batch_op.drop_column('payload')
