"""supervisors per programme, capacity across programmes

Supervisors serve the programmes they are linked to, each with a capacity that the programme's coordinators set
(see app/models/supervisor.py, ProgrammeSupervisor). Existing databases keep working: each supervisor is linked to
every programme whose matching rounds or mentoring groups they already serve, with their own limit as the
programme's capacity; a supervisor who serves none yet is linked to every programme, as every supervisor could be
chosen in every programme before.

Revision ID: 0015_programme_supervisors
Revises: 0014_cycle_close
Create Date: 2026-12-02 16:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_programme_supervisors'
down_revision = '0014_cycle_close'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'programme_supervisor',
        sa.Column('programme_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('max_groups', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint('max_groups >= 0', name=op.f('ck_programme_supervisor_max_groups_not_negative')),
        sa.ForeignKeyConstraint(['programme_id'], ['programme.id'],
                                name=op.f('fk_programme_supervisor_programme_id_programme'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'],
                                name=op.f('fk_programme_supervisor_user_id_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('programme_id', 'user_id', name=op.f('pk_programme_supervisor')),
    )
    op.create_index(op.f('ix_programme_supervisor_user_id'), 'programme_supervisor', ['user_id'], unique=False)
    # Who serves where already: the supervisors of each programme's rounds and groups.
    capacity = "COALESCE((SELECT p.max_groups FROM supervisor_profile p WHERE p.user_id = s.user_id), 4)"
    op.execute(f"""
        INSERT INTO programme_supervisor (programme_id, user_id, max_groups, created_at)
        SELECT s.programme_id, s.user_id, {capacity}, CURRENT_TIMESTAMP FROM (
            SELECT r.programme_id AS programme_id, rs.user_id AS user_id
              FROM round_supervisor rs JOIN matching_round r ON r.id = rs.round_id
            UNION
            SELECT g.programme_id, g.supervisor_id FROM mentoring_group g WHERE g.supervisor_id IS NOT NULL
        ) s JOIN "user" u ON u.id = s.user_id WHERE u.role = 'supervisor'
    """)
    # A supervisor who serves no programme yet stays available to all of them.
    op.execute(f"""
        INSERT INTO programme_supervisor (programme_id, user_id, max_groups, created_at)
        SELECT pr.id, s.user_id, {capacity}, CURRENT_TIMESTAMP
          FROM programme pr CROSS JOIN (SELECT u.id AS user_id FROM "user" u WHERE u.role = 'supervisor'
                                          AND NOT EXISTS (SELECT 1 FROM programme_supervisor x
                                                          WHERE x.user_id = u.id)) s
    """)


def downgrade():
    op.drop_index(op.f('ix_programme_supervisor_user_id'), table_name='programme_supervisor')
    op.drop_table('programme_supervisor')
