"""The supervisor's pages."""
from __future__ import annotations

from flask import Blueprint, render_template

from app.models import Role
from app.security import role_required

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")


@bp.get("/")
@role_required(Role.SUPERVISOR)
def start():
    return render_template("supervisor/start.html")
