"""Organisations (carriers, partners, funders) and their part in programmes. Services flush; the caller commits."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import func, select

from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.models import Organisation, OrganisationKind, PartnerRole, Programme, ProgrammePartner, User
from app.services import audit
from app.services.errors import ServiceError

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^[0-9 +()/.\-]{4,50}$")
URL = re.compile(r"^https?://[^\s/$.?#][^\s<>\"']*$", re.IGNORECASE)

KIND_LABELS = {
    OrganisationKind.BUSINESS_DEVELOPMENT: _l("Business development agency"),
    OrganisationKind.CHAMBER: _l("Chamber (IHK, HWK)"),
    OrganisationKind.JOBCENTER: _l("Jobcenter or employment agency"),
    OrganisationKind.ASSOCIATION: _l("Association"),
    OrganisationKind.EMPLOYERS_ASSOCIATION: _l("Employers' association"),
    OrganisationKind.UNIVERSITY: _l("University or institute"),
    OrganisationKind.COUNSELLING: _l("Counselling centre"),
    OrganisationKind.CARE_BASE: _l("Care base (Pflegestützpunkt)"),
    OrganisationKind.PUBLIC_BODY: _l("Public authority or ministry"),
    OrganisationKind.OTHER: _l("Other organisation"),
}
ROLE_LABELS = {
    "carrier": _l("Carrier"),
    PartnerRole.PARTNER: _l("Partner"),
    PartnerRole.COOPERATION: _l("Cooperation partner"),
    PartnerRole.FUNDER: _l("Funder"),
}


@dataclass
class OrganisationValues:
    """What an administrator records about an organisation (the form's values)."""

    name: str
    kind: str
    address: str | None = None
    website: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None


def _blank_to_none(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def clean_contact(email: str | None, phone: str | None) -> tuple[str | None, str | None]:
    """A contact's e-mail address and phone number, checked; shared with the programme's contact person."""
    email, phone = _blank_to_none(email), _blank_to_none(phone)
    if email is not None:
        email = email.lower()
        if len(email) > 254 or not EMAIL.match(email):
            raise ServiceError(_l("Please enter a valid e-mail address."), "contact_email")
    if phone is not None and not PHONE.match(phone):
        raise ServiceError(_l("Please enter a phone number with digits only (spaces, +, / and - are fine)."),
                           "contact_phone")
    return email, phone


def _clean(values: OrganisationValues, *, own_id: int | None) -> OrganisationValues:
    name = " ".join((values.name or "").split())
    if not name:
        raise ServiceError(_l("Please enter the organisation's name."), "name")
    if len(name) > 200:
        raise ServiceError(_l("Please enter at most %(n)d characters.", n=200), "name")
    clash = db.session.scalar(select(Organisation.id).where(func.lower(Organisation.name) == name.lower()))
    if clash is not None and clash != own_id:
        raise ServiceError(_l("An organisation of this name is recorded already."), "name")
    if values.kind not in set(OrganisationKind):
        raise ServiceError(_l("Please choose what kind of organisation this is."), "kind")
    website = _blank_to_none(values.website)
    if website is not None:
        if "://" not in website and ":" not in website:  # "www.example.de"; a scheme of its own is refused
            website = "https://" + website
        if len(website) > 300 or not URL.match(website):
            raise ServiceError(_l("Please enter a web address such as www.example.de."), "website")
    address = _blank_to_none(values.address)
    if address is not None and len(address) > 500:
        raise ServiceError(_l("Please enter at most %(n)d characters.", n=500), "address")
    contact_name = _blank_to_none(values.contact_name)
    if contact_name is not None and len(contact_name) > 200:
        raise ServiceError(_l("Please enter at most %(n)d characters.", n=200), "contact_name")
    email, phone = clean_contact(values.contact_email, values.contact_phone)
    return OrganisationValues(name=name, kind=values.kind, address=address, website=website,
                              contact_name=contact_name, contact_email=email, contact_phone=phone)


def all_organisations() -> list[Organisation]:
    return list(db.session.scalars(select(Organisation).order_by(func.lower(Organisation.name))))


def create_organisation(values: OrganisationValues, *, actor: User, now: datetime) -> Organisation:
    """Record an organisation. Flushes."""
    clean = _clean(values, own_id=None)
    organisation = Organisation(**asdict(clean), created_at=now)
    db.session.add(organisation)
    db.session.flush()
    audit.record("organisation_created", actor, now, organisation, name=organisation.name)
    return organisation


def update_organisation(organisation: Organisation, values: OrganisationValues, *, actor: User,
                        now: datetime) -> list[str]:
    """Change an organisation; returns the names of the changed fields (audited). Flushes."""
    clean = asdict(_clean(values, own_id=organisation.id))
    changed = [key for key, value in clean.items() if getattr(organisation, key) != value]
    for key in changed:
        setattr(organisation, key, clean[key])
    if changed:
        organisation.updated_at = now
        audit.record("organisation_changed", actor, now, organisation, fields=", ".join(changed))
    db.session.flush()
    return changed


def set_carrier(programme: Programme, organisation: Organisation | None, *, actor: User, now: datetime) -> None:
    """Make the organisation the programme's carrier (one carrier per programme). Flushes."""
    if programme.carrier_id == (organisation.id if organisation else None):
        return
    programme.carrier = organisation
    programme.updated_at = now
    audit.record("programme_partners_changed", actor, now, programme, carrier=organisation.name if organisation
                 else "")
    db.session.flush()


def add_partner(programme: Programme, organisation: Organisation, role: str, note: str | None, *, actor: User,
                now: datetime) -> ProgrammePartner:
    """Add an organisation to the programme in a role. Flushes."""
    if role not in set(PartnerRole):
        raise ServiceError(_l("Please choose the organisation's role in the programme."), "role")
    note = _blank_to_none(note)
    if note is not None and len(note) > 500:
        raise ServiceError(_l("Please enter at most %(n)d characters.", n=500), "note")
    exists = db.session.scalar(select(ProgrammePartner.id).where(
        ProgrammePartner.programme_id == programme.id, ProgrammePartner.organisation_id == organisation.id,
        ProgrammePartner.role == role))
    if exists is not None:
        raise ServiceError(_l("This organisation takes part in this role already."), "organisation")
    partner = ProgrammePartner(programme=programme, organisation=organisation, role=role, note=note, created_at=now)
    db.session.add(partner)
    db.session.flush()
    audit.record("programme_partners_changed", actor, now, programme, added=organisation.name, role=role)
    return partner


def remove_partner(partner: ProgrammePartner, *, actor: User, now: datetime) -> None:
    """Take an organisation's role in a programme away. Flushes."""
    audit.record("programme_partners_changed", actor, now, partner.programme, removed=partner.organisation.name,
                 role=partner.role)
    db.session.delete(partner)
    db.session.flush()


def for_person(email: str) -> list[Organisation]:
    """The organisations that name this address as their contact (export and erasure of a person)."""
    return list(db.session.scalars(select(Organisation).where(func.lower(Organisation.contact_email)
                                                              == email.strip().lower())))
