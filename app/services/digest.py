"""The coordinators' weekly digest: the coming week's group sessions and mail that could not be delivered."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import MailStatus, Meeting, MeetingStatus, MentoringGroup, OutboundEmail, Programme, Role


def send_weekly(now: datetime) -> int:
    """Queue one digest per active coordinator of a programme with sessions in the coming week. Commits."""
    from app.services import calendar, mail

    failed = db.session.scalar(select(func.count()).select_from(OutboundEmail)
                               .where(OutboundEmail.status == MailStatus.FAILED)) or 0
    queued = 0
    for programme in db.session.scalars(select(Programme).order_by(Programme.id)):
        meetings = db.session.scalars(select(Meeting).join(MentoringGroup).where(
            MentoringGroup.programme_id == programme.id, Meeting.status == MeetingStatus.CONFIRMED,
            Meeting.starts_at >= now, Meeting.starts_at < now + timedelta(days=7)).order_by(Meeting.starts_at)).all()
        if not meetings and not failed:
            continue
        for coordinator in programme.coordinators:
            if not coordinator.is_active or coordinator.role != Role.COORDINATOR:
                continue
            mail.queue_mail(coordinator.email, "weekly_digest", locale=coordinator.locale, now=now,
                            user=coordinator, programme=programme, failed=failed,
                            meetings=[(calendar.local(m.starts_at), m) for m in meetings])
            queued += 1
    db.session.commit()
    mail.deliver_due(now)
    return queued
