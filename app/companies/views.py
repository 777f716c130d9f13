"""A company's profile page and assessment charts, for its HR lead, its programmes' coordinators and admins."""
from __future__ import annotations

from flask import Blueprint, Response, render_template
from flask_login import current_user

from app import charts, maturity, taxonomy
from app.access import get_assessment_or_404, get_company_or_404
from app.models import Role
from app.security import role_required

bp = Blueprint("companies", __name__, url_prefix="/companies")


@bp.get("/<int:company_id>")
@role_required(Role.HR_LEAD, Role.COORDINATOR, Role.ADMIN)
def detail(company_id: int):
    company = get_company_or_404(company_id, for_user=current_user)
    return render_template("companies/detail.html", company=company, taxonomy=taxonomy)


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
