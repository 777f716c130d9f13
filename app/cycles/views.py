"""The certificate of participation of a company in a completed group (page, print and PDF), and the application
for the programme's next cycle."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import certificate_pdf, charts, maturity
from app.access import get_application_or_404, get_certificate_or_404
from app.extensions import db
from app.forms import ConfirmForm
from app.models import Role, utcnow
from app.security import role_required
from app.services import cycles
from app.services.errors import ServiceError

bp = Blueprint("cycles", __name__)


def _chart(cert: cycles.Certificate) -> str | None:
    if cert.start is None:
        return None
    series = [(_("Start of the cycle"), cert.start.scores)]
    if cert.end is not None:
        series.append((_("End of the cycle"), cert.end.scores))
    return charts.maturity_chart_svg(series).decode()


@bp.get("/certificates/<int:member_id>")
@role_required(Role.HR_LEAD, Role.COLLEAGUE, Role.COORDINATOR, Role.SUPERVISOR, Role.ADMIN)  # others: 404
def certificate(member_id: int):
    member = get_certificate_or_404(member_id, for_user=current_user)
    cert = cycles.certificate(member)
    return render_template("cycles/certificate.html", cert=cert, chart=_chart(cert), maturity=maturity,
                           summary=certificate_pdf.summary(cert),
                           confirm_form=ConfirmForm(),
                           may_apply=cert.may_apply_again and current_user.role == Role.HR_LEAD)


@bp.get("/certificates/<int:member_id>.pdf")
@role_required(Role.HR_LEAD, Role.COLLEAGUE, Role.COORDINATOR, Role.SUPERVISOR, Role.ADMIN)  # others: 404
def certificate_pdf_download(member_id: int):
    member = get_certificate_or_404(member_id, for_user=current_user)
    cert = cycles.certificate(member)
    body = certificate_pdf.render(cert, issued_on=utcnow())
    name = certificate_pdf.file_name(cert)
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/applications/<int:application_id>/next-cycle")
@role_required(Role.HR_LEAD)
def apply_again(application_id: int):
    application = get_application_or_404(application_id, for_user=current_user)
    if ConfirmForm().validate_on_submit():
        try:
            cycles.apply_again(application, actor=current_user, now=utcnow())
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        else:
            db.session.commit()
            flash(_("Your application for the next cycle is ready, with your answers from last time. Please check "
                    "them, change what is different now, and submit it."), "success")
            return redirect(url_for("hr.application", programme_id=application.programme_id))
    return redirect(url_for("hr.application_detail", application_id=application.id))
