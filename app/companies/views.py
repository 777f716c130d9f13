"""A company's profile page and assessment charts, for its HR lead, its programmes' coordinators and admins."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import charts, maturity, taxonomy
from app.access import get_assessment_or_404, get_company_or_404
from app.extensions import db
from app.forms import EraseForm
from app.models import Role, User, utcnow
from app.security import role_required
from app.services import erasure

bp = Blueprint("companies", __name__, url_prefix="/companies")


@bp.get("/<int:company_id>")
@role_required(Role.HR_LEAD, Role.COORDINATOR, Role.ADMIN)
def detail(company_id: int):
    company = get_company_or_404(company_id, for_user=current_user)
    may_erase = erasure.may_erase(current_user, company)
    # A coordinator who may not erase learns why (the company's other programmes) and whom to ask instead.
    refused = None if may_erase or current_user.role != Role.COORDINATOR else {
        "programmes": erasure.programmes_not_coordinated(current_user, company),
        "administrators": erasure.administrators()}
    return render_template("companies/detail.html", company=company, taxonomy=taxonomy, erase_form=EraseForm(),
                           may_erase=may_erase, refused=refused)


@bp.get("/assessments/<int:assessment_id>/chart.svg")
@role_required(Role.HR_LEAD, Role.COORDINATOR, Role.ADMIN)
def assessment_chart(assessment_id: int):
    """The assessment as a bar chart, next to the company's first one when this is a later one."""
    assessment = get_assessment_or_404(assessment_id, for_user=current_user)
    first = assessment.company.assessments[0]
    series = [(assessment.created_at.strftime("%d.%m.%Y"), assessment.scores)]
    if first.id != assessment.id:
        series.insert(0, (first.created_at.strftime("%d.%m.%Y"), first.scores))
    svg = charts.maturity_chart_svg(series, title=str(maturity.score_assessment(assessment.scores).level.label))
    response = Response(svg, mimetype="image/svg+xml")
    # The chart is an image: its own styles only, nothing else may load or run.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@bp.post("/<int:company_id>/erase")
@role_required(Role.COORDINATOR, Role.ADMIN)
def erase(company_id: int):
    """Art. 17: erase the company and everyone of it (a coordinator of all its programmes, or an admin)."""
    company = get_company_or_404(company_id, for_user=current_user)
    form = EraseForm()
    if not erasure.may_erase(current_user, company):
        abort(403)
    if form.validate_on_submit() and form.confirm.data.strip() == company.name:
        erasure.erase_company(company, actor=current_user, now=utcnow())
        db.session.commit()
        flash(_("The company and its people have been erased. Only anonymous figures remain."), "success")
        return redirect(url_for("coordinator.start") if current_user.role == Role.COORDINATOR
                        else url_for("admin.users"))
    flash(_("To erase, type the company's name exactly."), "danger")
    return redirect(url_for("companies.detail", company_id=company.id))


@bp.post("/<int:company_id>/people/<int:user_id>/erase")
@role_required(Role.COORDINATOR, Role.ADMIN)
def erase_person(company_id: int, user_id: int):
    """Art. 17: erase one person of the company (e.g. an HR lead who left it); the company stays."""
    company = get_company_or_404(company_id, for_user=current_user)
    person = db.session.get(User, user_id)
    if person is None or person.company_id != company.id:
        abort(404)
    if not erasure.may_erase(current_user, company):
        abort(403)
    form = EraseForm()
    if form.validate_on_submit() and form.confirm.data.strip().lower() == person.email:
        erasure.erase_person(person, actor=current_user, now=utcnow())
        db.session.commit()
        flash(_("The person has been erased."), "success")
    else:
        flash(_("To erase, type the person's e-mail address exactly."), "danger")
    return redirect(url_for("companies.detail", company_id=company.id))
