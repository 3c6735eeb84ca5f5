"""Five failed sign-ins within 15 minutes lock the account (or the client address) out.

Each test starts its own server: failures count per account and per client address, and every
test signs in from 127.0.0.1.
"""

import pytest

from harness import expect_alert, path_of, sign_in, visit

ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 5
NOT_RIGHT = "The email or password is not right"
TOO_MANY = "Too many failed sign-ins"


def fail(page, base, email, limit):
    for n in range(limit):
        landed = sign_in(page, base, email, f"wrong-password-{n}")
        assert landed.status in (422, 429), f"failure {n + 1} answered {landed.status}"
        if n < limit - 1:
            expect_alert(page, NOT_RIGHT)


@pytest.mark.postgres
def test_five_failures_lock_the_account_even_with_the_right_password(page, start_server):
    server = start_server()
    email, password = server.account("practice_manager")
    fail(page, server.base, email, ACCOUNT_LIMIT)
    landed = sign_in(page, server.base, email, password)
    assert landed.status in (422, 429), f"a locked-out sign-in answered {landed.status}"
    assert path_of(page) == "/sign-in"
    expect_alert(page, TOO_MANY)
    visit(page, server.base + "/", "home-after-lockout")
    assert path_of(page) == "/sign-in", "no session was opened"


def test_five_failures_from_one_address_lock_it_out(page, start_server):
    server = start_server()
    for n in range(ADDRESS_LIMIT):
        landed = sign_in(page, server.base, f"nobody{n}@demo.pcmh.example", "wrong-password")
        assert landed.status in (422, 429), f"failure {n + 1} answered {landed.status}"
    email, password = server.account("auditor")
    sign_in(page, server.base, email, password)
    assert path_of(page) == "/sign-in"
    expect_alert(page, TOO_MANY)
