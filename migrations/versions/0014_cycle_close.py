"""the cycle closes: completed groups, end-of-cycle certificates, rounds that see new companies

Group status "completed" and application status "completed" are new values of existing string columns (no schema
change); the group gets the moment the closing job completed it.

Revision ID: 0014_cycle_close
Revises: 0013_programme_setup
Create Date: 2026-12-02 16:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014_cycle_close'
down_revision = '0013_programme_setup'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("mentoring_group") as batch:
        batch.add_column(sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    # Completed groups and applications go back to what they were before the cycle was closed.
    op.execute("UPDATE mentoring_group SET status = 'active' WHERE status = 'completed'")
    op.execute("UPDATE application SET status = 'approved' WHERE status = 'completed'")
    with op.batch_alter_table("mentoring_group") as batch:
        batch.drop_column("completed_at")
