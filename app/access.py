"""One loader per object kind: it fetches the row and checks who may see it (404 if they may not know it exists)."""
from __future__ import annotations

from flask import abort
from sqlalchemy import select

from app.extensions import db
from app.models import Application, Company, Programme, Role, User, programme_coordinator


def coordinated_programme_ids(user: User) -> set[int]:
    return set(
        db.session.scalars(
            select(programme_coordinator.c.programme_id).where(programme_coordinator.c.user_id == user.id)
        )
    )


def get_programme_or_404(programme_id: int, *, for_user: User) -> Programme:
    """A programme that the user coordinates (admins see all)."""
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        abort(404)
    if for_user.role == Role.ADMIN:
        return programme
    if for_user.role == Role.COORDINATOR and programme_id in coordinated_programme_ids(for_user):
        return programme
    abort(404)


def get_company_or_404(company_id: int, *, for_user: User) -> Company:
    """A company that the user leads, coordinates through a programme, or administers."""
    company = db.session.get(Company, company_id)
    if company is None:
        abort(404)
    if for_user.role == Role.ADMIN:
        return company
    if for_user.role == Role.HR_LEAD and for_user.company_id == company_id:
        return company
    if for_user.role == Role.COORDINATOR:
        programme_ids = coordinated_programme_ids(for_user)
        applied = db.session.scalar(
            select(Application.id).where(
                Application.company_id == company_id, Application.programme_id.in_(programme_ids)
            )
        )
        if applied is not None:
            return company
    abort(404)


def get_user_or_404(user_id: int, *, for_user: User) -> User:
    """A user account, for admins only."""
    user = db.session.get(User, user_id)
    if user is None or for_user.role != Role.ADMIN:
        abort(404)
    return user


def get_application_or_404(application_id: int, *, for_user: User) -> Application:
    """An application that the user's company made, that the user coordinates, or any (admins)."""
    application = db.session.get(Application, application_id)
    if application is None:
        abort(404)
    if for_user.role == Role.ADMIN:
        return application
    if for_user.role == Role.HR_LEAD and for_user.company_id == application.company_id:
        return application
    if for_user.role == Role.COORDINATOR and application.programme_id in coordinated_programme_ids(for_user):
        return application
    abort(404)


def get_assessment_or_404(assessment_id: int, *, for_user: User):
    """A maturity assessment, visible to whoever may see its company."""
    from app.models import MaturityAssessment

    assessment = db.session.get(MaturityAssessment, assessment_id)
    if assessment is None:
        abort(404)
    get_company_or_404(assessment.company_id, for_user=for_user)
    return assessment


def get_proposal_or_404(proposal_id: int, *, for_user: User):
    """A change proposal, for the coordinators of its programme and admins."""
    from app.models import ChangeProposal

    proposal = db.session.get(ChangeProposal, proposal_id)
    if proposal is None or for_user.role not in (Role.COORDINATOR, Role.ADMIN):
        abort(404)
    get_application_or_404(proposal.application_id, for_user=for_user)
    return proposal


def get_import_batch_or_404(batch_id: int, *, for_user: User):
    """An import batch, for the coordinators of its programme and admins."""
    from app.models import ImportBatch

    batch = db.session.get(ImportBatch, batch_id)
    if batch is None:
        abort(404)
    get_programme_or_404(batch.programme_id, for_user=for_user)
    return batch


def get_round_or_404(round_id: int, *, for_user: User):
    """A matching round, for the coordinators of its programme and admins."""
    from app.models import MatchingRound

    round_ = db.session.get(MatchingRound, round_id)
    if round_ is None:
        abort(404)
    get_programme_or_404(round_.programme_id, for_user=for_user)
    return round_


def get_rule_or_404(rule_id: int, round_id: int, *, for_user: User):
    from app.models import RoundRule

    rule = db.session.get(RoundRule, rule_id)
    if rule is None or rule.round_id != round_id:
        abort(404)
    get_round_or_404(round_id, for_user=for_user)
    return rule


def _company_place(group, user: User):
    """The place of the user's company in the group (HR leads and colleagues; None for everyone else)."""
    if user.role not in (Role.HR_LEAD, Role.COLLEAGUE) or user.company_id is None:
        return None
    return next((m for m in group.members if m.application.company_id == user.company_id), None)


def get_group_or_404(group_id: int, *, for_user: User):
    """A mentoring group: for the HR leads and colleagues of its member companies that have not declined their
    place, its supervisor, the programme's coordinators and admins.

    A company that declined is outside the group from then on: its people get a 404 on the group and on everything
    that hangs off it (sessions, minutes, attendance, measures, feedback), as any other company would. Only the
    group page itself tells them that their company declined (see get_declined_place)."""
    from app.models import MentoringGroup, Response

    group = db.session.get(MentoringGroup, group_id)
    if group is None:
        abort(404)
    if for_user.role == Role.ADMIN:
        return group
    place = _company_place(group, for_user)
    if place is not None and place.response != Response.DECLINED:
        return group
    if for_user.role == Role.SUPERVISOR and group.supervisor_id == for_user.id:
        return group
    if for_user.role == Role.COORDINATOR and group.programme_id in coordinated_programme_ids(for_user):
        return group
    abort(404)


def get_declined_place(group_id: int, *, for_user: User):
    """The place in this group that the user's company declined, or None (also for a group that does not exist and
    for anyone who is not an HR lead or colleague of such a company). With it the group page shows only that the
    company declined: an HR lead who follows the link in the invitation mail or on the start page expects to learn
    what became of the group, not a "not found"; nothing of the other companies or the sessions is shown."""
    from app.models import MentoringGroup, Response

    group = db.session.get(MentoringGroup, group_id)
    if group is None:
        return None
    place = _company_place(group, for_user)
    return place if place is not None and place.response == Response.DECLINED else None


def get_meeting_or_404(meeting_id: int, *, for_user: User):
    """A group session, for whoever may see its group."""
    from app.models import Meeting

    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        abort(404)
    get_group_or_404(meeting.group_id, for_user=for_user)
    return meeting


def may_change_meetings(group, user: User) -> bool:
    """The programme's coordinators, admins and the group's supervisor move and cancel its meetings."""
    return user.role in (Role.COORDINATOR, Role.ADMIN) or (
        user.role == Role.SUPERVISOR and group.supervisor_id == user.id)


def get_organisation_or_404(organisation_id: int, *, for_user: User):
    """An organisation's record, for admins only (the public sees it on the programme pages)."""
    from app.models import Organisation

    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or for_user.role != Role.ADMIN:
        abort(404)
    return organisation


def get_partner_or_404(partner_id: int, programme_id: int, *, for_user: User):
    """An organisation's part in a programme, for admins only."""
    from app.models import ProgrammePartner

    partner = db.session.get(ProgrammePartner, partner_id)
    if partner is None or partner.programme_id != programme_id or for_user.role != Role.ADMIN:
        abort(404)
    return partner


def get_public_programme_or_404(programme_id: int):
    """A programme's public page: every programme has one, for everyone."""
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        abort(404)
    return programme


def get_certificate_or_404(member_id: int, *, for_user: User):
    """A company's place in a completed group, whose certificate of participation the user may read: the company's
    HR lead and colleagues, and the programme's coordinators; 404 for everyone else, administrators included."""
    from app.models import GroupMember
    from app.services.cycles import may_read_certificate

    member = db.session.get(GroupMember, member_id)
    if member is None or not may_read_certificate(for_user, member):
        abort(404)
    return member


def get_programme_supervisor_or_404(programme_id: int, user_id: int, *, for_user: User):
    """A supervisor of a programme, for the programme's coordinators and admins (404 for anyone not serving it)."""
    from app.models import ProgrammeSupervisor

    programme = get_programme_or_404(programme_id, for_user=for_user)
    link = db.session.get(ProgrammeSupervisor, (programme_id, user_id))
    if link is None:
        abort(404)
    return programme, link.user
