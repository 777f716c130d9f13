"""Who has an account cannot be found out: not from the answers to failed logins, registrations, colleague
invitations or reset requests, nor from how long they take; and failed logins lock out one client, not the account.
"""
from __future__ import annotations

import re
import statistics
import time

from sqlalchemy import func, select

from app.extensions import db
from app.models import Company, OneTimeToken, Role, User, utcnow
from app.services import mail
from tests.conftest import PASSWORD, csrf_token, login

NEW_PASSWORD = "Pflegekoffer-im-Sommer-2026"
ALERT = re.compile(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', re.S)


def alerts(html: str) -> list[str]:
    return [" ".join(re.sub(r"<[^>]+>", " ", a).split()) for a in ALERT.findall(html)]


def deliver(app) -> None:
    with app.app_context():
        mail.deliver_due(utcnow())


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def try_login(client, email: str, password: str):
    return client.post("/login", data={"csrf_token": csrf_token(client, "/login"), "email": email,
                                       "password": password})


def test_the_sixth_failed_login_answers_the_same_for_known_and_unknown_addresses(app, make):
    make.user(Role.SUPERVISOR, email="known@example.org")
    answers = {}
    for email in ("known@example.org", "unknown@example.org"):
        client = app.test_client()
        for _ in range(app.config["LOGIN_MAX_FAILURES"]):
            try_login(client, email, "wrong-password-123")
        response = try_login(client, email, "wrong-password-123")
        answers[email] = (response.status_code, alerts(response.get_data(as_text=True)))
    assert answers["known@example.org"] == answers["unknown@example.org"]
    assert "Zu viele fehlgeschlagene Versuche" in answers["known@example.org"][1][0]


def test_failed_logins_lock_out_one_client_network_not_the_account(app, make):
    user = make.user(Role.SUPERVISOR, email="target@example.org")
    for attacker, elsewhere, same_network in (("198.51.100.7", "203.0.113.9", None),
                                              ("2001:db8:1:2::7", "2001:db8:1:3::1", "2001:db8:1:2::8")):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = attacker
        for _ in range(app.config["LOGIN_MAX_FAILURES"]):
            assert "nicht korrekt" in " ".join(alerts(try_login(client, user.email, "wrong-123456").get_data(
                as_text=True)))
        # The attacker's address is refused even with the right password ...
        assert "Zu viele" in " ".join(alerts(try_login(client, user.email, PASSWORD).get_data(as_text=True)))
        # ... and so is the rest of an IPv6 subscriber's /64, but the account's owner elsewhere logs in.
        if same_network:
            neighbour = app.test_client()
            neighbour.environ_base["REMOTE_ADDR"] = same_network
            assert try_login(neighbour, user.email, PASSWORD).status_code == 200
        owner = app.test_client()
        owner.environ_base["REMOTE_ADDR"] = elsewhere
        assert try_login(owner, user.email, PASSWORD).status_code == 302, elsewhere


def test_a_new_password_lifts_the_lock(app, make, mailbox):
    user = make.user(Role.SUPERVISOR, email="locked@example.org")
    client = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        try_login(client, user.email, "wrong-password-123")
    client.post("/password/forgot", data={"csrf_token": csrf_token(client), "email": user.email})
    deliver(app)
    path = "/" + mailbox.last_link(user.email).split("//", 1)[1].split("/", 1)[1]
    client.post(path, data={"csrf_token": csrf_token(client, path), "password": NEW_PASSWORD,
                            "password_confirm": NEW_PASSWORD})
    assert try_login(client, user.email, NEW_PASSWORD).status_code == 302


def register(client, email: str, company: str = "Neue Firma GmbH"):
    return client.post("/register", data={
        "csrf_token": csrf_token(client, "/register"), "company_name": company, "full_name": "Eva Neu",
        "email": email, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})


def test_registering_answers_the_same_for_a_taken_and_a_new_address(app, make, mailbox):
    make.user(Role.ADMIN, email="admin@example.org", full_name="Anna Admin")
    pages = []
    for email in ("admin@example.org", "new@example.org"):
        client = app.test_client()
        response = register(client, email)
        follow = client.get(response.headers.get("Location", "/register"))
        pages.append((response.status_code, response.headers.get("Location"), follow.status_code,
                      re.sub(r'value="[^"]+"', "", follow.get_data(as_text=True))))
    assert pages[0] == pages[1]
    assert pages[0][:3] == (302, "/register/sent", 200) and "Bitte sehen Sie in Ihr Postfach" in pages[0][3]
    assert count(app, User) == 1 and count(app, Company) == 0  # nothing created, nothing changed
    deliver(app)
    [notice] = mailbox.messages("admin@example.org")
    assert "Guten Tag Anna Admin" in notice.body and "bereits ein Tandem-Konto" in notice.body
    assert "Neue Firma" not in notice.body and "Eva Neu" not in notice.body  # nothing the visitor typed
    [confirm] = mailbox.messages("new@example.org")
    assert "/register/confirm/" in confirm.body and "Neue Firma" not in confirm.body


def test_someone_who_registered_another_persons_address_cannot_have_it_completed(app, mailbox):
    """The link alone completes nothing: it wants the password chosen when registering, which the owner of the
    mailbox does not know if someone else registered their address."""
    register(app.test_client(), "victim@example.org", company="Falsche Firma")
    deliver(app)
    owner = app.test_client()
    path = "/" + mailbox.last_link("victim@example.org").split("//", 1)[1].split("/", 1)[1]
    response = owner.post(path, data={"csrf_token": csrf_token(owner, path), "password": "what-the-owner-guesses-1"})
    assert response.status_code == 200 and "nicht das Passwort" in response.get_data(as_text=True)
    assert count(app, User) == 0
    # The owner registers themselves; their own link works, the other one then finds the address taken.
    register(app.test_client(), "victim@example.org", company="Richtige Firma")
    deliver(app)
    own = "/" + mailbox.last_link("victim@example.org").split("//", 1)[1].split("/", 1)[1]
    assert owner.post(own, data={"csrf_token": csrf_token(owner, own), "password": NEW_PASSWORD}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Company.name)) == "Richtige Firma"


def test_a_colleague_invitation_says_the_same_for_an_address_with_an_account(app, make, mailbox):
    lead = make.user(Role.HR_LEAD, email="hr@example.org", full_name="Hanna Personal")
    make.user(Role.ADMIN, email="admin@example.org", full_name="Anna Admin")
    client = app.test_client()
    login(client, lead.email)
    answers = []
    for email in ("admin@example.org", "betriebsrat@example.org"):
        response = client.post("/hr/colleagues", data={"csrf_token": csrf_token(client, "/hr/"), "email": email})
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        answers.append([a.replace(email, "ADDRESS") for a in alerts(page)])
    assert answers[0] == answers[1] == [["Die Einladung wurde an ADDRESS gesendet."]][0]
    with app.app_context():
        assert db.session.scalars(select(OneTimeToken.email)).all() == ["betriebsrat@example.org"]
    [notice] = mailbox.messages("admin@example.org")
    assert "Hanna Personal" in notice.body and "bereits ein Tandem-Konto" in notice.body
    assert "/invitation/" not in notice.body
    [invitation] = mailbox.messages("betriebsrat@example.org")
    assert "/invitation/" in invitation.body


def _median_ms(client, path: str, forms: list[dict]) -> tuple[float, float]:
    """Alternate two kinds of request; the median time of each, in milliseconds."""
    times: list[list[float]] = [[], []]
    for n in range(2 * len(forms)):
        kind = n % 2
        form = dict(forms[n // 2][kind])
        form["csrf_token"] = csrf_token(client, path)
        started = time.perf_counter()
        response = client.post(path, data=form)
        times[kind].append((time.perf_counter() - started) * 1000)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return statistics.median(times[0]), statistics.median(times[1])


def _assert_fair(known: float, unknown: float) -> None:
    # Generous: the two medians within half of the larger one plus 5 ms (a loaded 2-core machine jitters).
    assert abs(known - unknown) <= 0.5 * max(known, unknown) + 5, f"known {known:.1f} ms, unknown {unknown:.1f} ms"


def test_a_reset_request_takes_as_long_for_a_known_address_as_for_an_unknown_one(app, make):
    make.user(Role.SUPERVISOR, email="known@example.org")
    client = app.test_client()
    forms = [({"email": "known@example.org"}, {"email": f"nobody{n}@example.org"}) for n in range(15)]
    _assert_fair(*_median_ms(client, "/password/forgot", forms))


def test_registering_takes_as_long_for_a_taken_address_as_for_a_new_one(app, make):
    make.user(Role.SUPERVISOR, email="known@example.org")
    base = {"company_name": "Firma", "full_name": "Eva Neu", "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD}
    forms = [(base | {"email": "known@example.org"}, base | {"email": f"new{n}@example.org"}) for n in range(15)]
    _assert_fair(*_median_ms(app.test_client(), "/register", forms))
