"""Tandem's matching engine: forms mentoring groups from approved mentor and mentee companies and supervisors."""
from matching.model import InvalidInstance
from matching.solver import solve

__all__ = ["InvalidInstance", "solve"]
