"""What the database keeps of the token API's tokens: a refresh token is
used once, and its reuse (a stolen token played after its owner's, or the
other way round) revokes its whole family, the newest refresh token and
every access token it bought, with a token_reuse audit row; a revoked
refresh token (RFC 7009) revokes its family, a revoked access token goes
on the blacklist alone; a user's tokens end with the user's sessions (a
new password, a disabled account, other roles, a session revoked by an
administrator); the lockout is the login's.  Other families of the same
user live on each time.

Under lighttpd alone (the web server plays no part: test_token_api.py
runs the requests under all three), on every database; the reuse and a
revocation once more across two web servers on one MariaDB or PostgreSQL
database.  Where the check's session cache is on, a revoked token may be
granted for the site's revocation bound (fixtures.Site.wait_refused)."""

import time

from fixtures import LOCKOUT_THRESHOLD
from harness import check, multi_server_test, test
from client import CookieJar
from sso_support import agent
from token_support import (add_user, assert_bearer_granted, assert_bearer_refused, assert_error,
                           assert_refused_login, assert_revoke_ok, audit_of_user, bearer_get,
                           grant_password, grant_refresh, post_password, post_refresh,
                           post_revoke, token_sessions, unverified_claims, user_id)

LIGHTTPD = ("lighttpd",)


def family(site, name, password):
    """A family two grants long: (first pair, second pair), the second
    bought with the first's refresh token; both access tokens work."""
    first = grant_password(site, name, password)
    second = grant_refresh(site, first.refresh)
    assert_bearer_granted(site, second.access, name, "the family's second access token")
    return first, second


def assert_family_dead(site, first, second, what, since=None):
    """The newest refresh token of the family buys nothing, and the check
    refuses both its access tokens."""
    assert_error(post_refresh(site, second.refresh), 400, "invalid_grant",
                 f"{what}: the family's newest refresh token")
    assert_bearer_refused(site, first.access, f"{what}: the family's first access token", since)
    assert_bearer_refused(site, second.access, f"{what}: the family's second access token", since)


def assert_family_alive(site, pair, name, what):
    """pair's access token works and its refresh token buys a new pair."""
    assert_bearer_granted(site, pair.access, name, f"{what}: its access token")
    newer = grant_refresh(site, pair.refresh, what=f"{what}: its refresh token")
    assert_bearer_granted(site, newer.access, name, f"{what}: the access token it bought")


# -- Reuse ----------------------------------------------------------------------


@test("token_refresh_reuse_revokes_family", servers=LIGHTTPD)
def token_refresh_reuse_revokes_family(site):
    name, password, _ = add_user(site, "tokreuse")
    uid = user_id(site, name)
    other = grant_password(site, name, password)  # the same user, another client
    first, second = family(site, name, password)
    ua = agent()
    since = time.monotonic()
    assert_error(post_refresh(site, first.refresh, ua=ua), 400, "invalid_grant",
                 "the consumed refresh token presented again")
    assert_family_dead(site, first, second, "after the reuse", since)
    rows = [row for row in audit_of_user(site, name, "token_reuse") if row["user_agent"] == ua]
    check(len(rows) == 1 and rows[0]["result"] == "failure" and rows[0]["user_id"] == uid,
          f"expected one token_reuse audit row for the reuse (failure, user id {uid}): "
          f"{audit_of_user(site, name, 'token_reuse')}")
    assert_family_alive(site, other, name, "the user's other family")


@test("token_revoked_refresh_token_revokes_family", servers=LIGHTTPD)
def token_revoked_refresh_token_revokes_family(site):
    name, password, _ = add_user(site, "tokrevrt")
    other = grant_password(site, name, password)
    first, second = family(site, name, password)
    ua = agent()
    since = time.monotonic()
    # The hint is wrong: it plays no part in the decision.
    assert_revoke_ok(post_revoke(site, second.refresh, "access_token", ua=ua),
                     "revoking the family's newest refresh token")
    assert_family_dead(site, first, second, "after the revocation of its refresh token", since)
    rows = audit_of_user(site, name, "token_revoked")
    check(len(rows) == 1 and rows[0]["user_agent"] == ua,
          f"expected one token_revoked audit row, of the revocation: {rows}")
    # Revoked already: still 200 {}, and no second row for a token that is
    # no longer valid.
    assert_revoke_ok(post_revoke(site, second.refresh), "revoking it again")
    check(len(audit_of_user(site, name, "token_revoked")) == 1,
          "revoking a revoked refresh token wrote another token_revoked row")
    assert_family_alive(site, other, name, "the user's other family")


@test("token_revoked_access_token_blacklisted_alone", servers=LIGHTTPD)
def token_revoked_access_token_blacklisted_alone(site):
    name, password, _ = add_user(site, "tokrevat")
    first, second = family(site, name, password)
    ua = agent()
    since = time.monotonic()
    assert_revoke_ok(post_revoke(site, second.access, "refresh_token", ua=ua),
                     "revoking an access token (with a wrong hint)")
    assert_bearer_refused(site, second.access, "the revoked access token", since)
    rows = audit_of_user(site, name, "token_revoked")
    check(len(rows) == 1 and rows[0]["user_agent"] == ua,
          f"expected one token_revoked audit row, of the revocation: {rows}")
    # Its jti alone: the first access token and the refresh token live on.
    assert_bearer_granted(site, first.access, name, "the family's other access token")
    third = grant_refresh(site, second.refresh, what="the refresh token of the revoked access "
                          "token's pair")
    assert_bearer_granted(site, third.access, name, "the access token it bought")
    check(unverified_claims(third.access)["jti"] != unverified_claims(second.access)["jti"],
          "the new access token has the revoked one's jti")
    assert_revoke_ok(post_revoke(site, second.access), "revoking the access token again")
    check(len(audit_of_user(site, name, "token_revoked")) == 1,
          "revoking a revoked access token wrote another token_revoked row")


# -- The user's sessions --------------------------------------------------------


def change_password(site, name, session_id):
    site.stack.ctl("user", "passwd", name, "--password-stdin", input="Another-pw-4711\n")


# (what, the change given the user and the id of the family's session,
# whether another session's family of the user survives it)
ENDINGS = (
    ("user passwd", change_password, False),
    ("user disable", lambda site, name, sid: site.stack.ctl("user", "disable", name), False),
    ("user roles", lambda site, name, sid: site.stack.ctl("user", "roles", name, ""), False),
    ("session revoke --user",
     lambda site, name, sid: site.stack.ctl("session", "revoke", "--user", name), False),
    ("session revoke ID", lambda site, name, sid: site.stack.ctl("session", "revoke", sid), True),
)


@test("token_ends_with_the_users_sessions", servers=LIGHTTPD)
def token_ends_with_the_users_sessions(site):
    for what, change, other_survives in ENDINGS:
        name, password, _ = add_user(site, "tokend", roles=("admin",))
        other = grant_password(site, name, password)
        before = set(token_sessions(site, name))
        first, second = family(site, name, password)
        made = set(token_sessions(site, name)) - before
        check(len(made) == 1, f"{what}: a password grant and a refresh should make one session "
              f"of auth_method token: {sorted(made)}")
        check(bearer_get(site, second.access, "/admin/").status == 200,
              f"{what}: an admin's access token should open /admin/ before the change")
        since = time.monotonic()
        change(site, name, made.pop())
        assert_family_dead(site, first, second, f"after gatehousectl {what}", since)
        if other_survives:
            assert_family_alive(site, other, name, f"after gatehousectl {what}, the user's "
                                "other session")
        else:
            assert_error(post_refresh(site, other.refresh), 400, "invalid_grant",
                         f"after gatehousectl {what}: the refresh token of another session")
            assert_bearer_refused(site, other.access, f"after gatehousectl {what}: the "
                                  "access token of another session", since)
        if what == "user passwd":
            assert_refused_login(post_password(site, name, password),
                                 "the old password after user passwd")
            grant_password(site, name, "Another-pw-4711", what="the new password")
        elif what == "user disable":
            assert_refused_login(post_password(site, name, password),
                                 "the right password of a disabled user")
        elif what == "user roles":
            # A new grant has the user's roles of now.
            pair = grant_password(site, name, password, what="a grant after the roles changed")
            check(unverified_claims(pair.access)["roles"] == [],
                  f"the new access token should hold no role: {unverified_claims(pair.access)}")
            r = bearer_get(site, pair.access, "/admin/")
            check(r.status == 403, "GET /admin/ with a token granted after admin was taken "
                  "away: expected 403", r)


# -- The lockout ----------------------------------------------------------------


@test("token_lockout_shared_with_login", kind="lockout", servers=LIGHTTPD)
def token_lockout_shared_with_login(site):
    # The lockout site: LOCKOUT_THRESHOLD refusals lock the account for 3 s.
    def locked(name):
        out = site.stack.ctl("user", "show", name).stdout
        return "locked: yes" in out.splitlines()

    name, password, _ = add_user(site, "toklock")
    for n in range(LOCKOUT_THRESHOLD):
        assert_refused_login(post_password(site, name, password + "x"),
                             f"wrong password {n + 1} at the token API")
    check(locked(name), f"{LOCKOUT_THRESHOLD} wrong passwords at the token API should lock "
          f"{name}")
    assert_refused_login(post_password(site, name, password),
                         "the right password of an account locked by the token API")
    r = site.post_login(CookieJar(), name, password)
    check(r.status == 401, "the login page, right password, account locked by the token API: "
          "expected 401", r)
    # And the other way round.
    other, other_pw, _ = add_user(site, "toklock")
    for n in range(LOCKOUT_THRESHOLD):
        r = site.post_login(CookieJar(), other, other_pw + "x")
        check(r.status == 401, f"wrong password {n + 1} at the login page: expected 401", r)
    check(locked(other), f"{other} should be locked by the login page")
    assert_refused_login(post_password(site, other, other_pw),
                         "the right password at the token API, account locked by the login page")
    check(token_sessions(site, name) == [] and token_sessions(site, other) == [],
          "a locked account got a session")


# -- Two web servers, one database ----------------------------------------------


@multi_server_test("token_multi_server_reuse_revokes_family")
def token_multi_server_reuse_revokes_family(pair):
    # Each site signs with a key and an issuer of its own (deploy/stack.py):
    # an access token is shown to the check of the site that made it; the
    # refresh tokens live in the shared database.
    first, second = pair.first, pair.second
    name, password, _ = add_user(first, "tokmulti")
    one = grant_password(first, name, password, what=f"a grant on {first.label}")
    two = grant_refresh(second, one.refresh,
                        what=f"the refresh on {second.label} of a token of {first.label}")
    assert_bearer_granted(second, two.access, name, f"the access token of {second.label}")
    since = time.monotonic()
    assert_error(post_refresh(first, one.refresh), 400, "invalid_grant",
                 f"the refresh token consumed on {second.label}, again on {first.label}")
    assert_error(post_refresh(second, two.refresh), 400, "invalid_grant",
                 f"the family's newest refresh token on {second.label}, after the reuse on "
                 f"{first.label}")
    assert_bearer_refused(first, one.access, f"{first.label}'s access token after the reuse",
                          since)
    assert_bearer_refused(second, two.access, f"{second.label}'s access token after the reuse",
                          since)
    rows = audit_of_user(first, name, "token_reuse")
    check(rows and all(row["result"] == "failure" for row in rows),
          f"expected a token_reuse audit row (failure): {rows}")
    # A revocation on one site ends a family made on the other.
    three = grant_password(second, name, password, what=f"a grant on {second.label}")
    since = time.monotonic()
    assert_revoke_ok(post_revoke(first, three.refresh),
                     f"revoking on {first.label} a refresh token of {second.label}")
    assert_error(post_refresh(second, three.refresh), 400, "invalid_grant",
                 f"the refresh token revoked on {first.label}, on {second.label}")
    assert_bearer_refused(second, three.access, f"{second.label}'s access token after its "
                          f"family was revoked on {first.label}", since)
