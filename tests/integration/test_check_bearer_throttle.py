"""Refused credentials at the check are throttled like passwords (design
§7, gatehouse-check(8) THROTTLING): each refusal counts against the client
address, a blocked client gets 429 with Retry-After for every credential
(its personal access tokens are not even looked up), the block is one
audit row, and the client's key is the login page's: behind a trusted
proxy both count the address X-Forwarded-For names, so a client blocked
at one is blocked at the other.  A valid access token still passes a
blocked client (the check reads the throttle only for a refused one: the
documented price of the hot path), and so does a session cookie (no
credential is tried).

On the "bearer_throttle" site (bearer_support.py): 3 refusals a minute,
127.0.0.1 a trusted proxy; each test sends X-Forwarded-For addresses of its
own.  Under the three web servers on SQLite, and under lighttpd on MariaDB
and PostgreSQL, where the check runs under its own database account
(sql/<dialect>/grants.sql): the throttle's UPSERT, the audit row, the
blacklist's read and last_used_at's write must all be granted."""

import hashlib
import json
import re

from bearer_support import (THROTTLE_MAX, access_claims, add_token, assert_refused, basic,
                            bearer, json_error, mint, run_sql)
from client import CookieJar
from fixtures import LOGIN
from harness import check, test

KIND = "bearer_throttle"


def from_(addr, headers=None):
    """headers sent as the trusted proxy 127.0.0.1 forwards a request of
    client addr."""
    return dict(headers or {}, **{"X-Forwarded-For": addr})


def throttled_rows(site, addr):
    out = site.stack.ctl("audit", "list", "--format", "json", "--event", "throttled").stdout
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    return [row for row in rows if (row.get("context") or {}).get("client") == f"ip:{addr}"]


def last_used(site, token):
    """The token's last_used_at, 0 for never (its row must exist)."""
    rows = run_sql(site, "SELECT COALESCE(last_used_at, 0) FROM personal_access_tokens "
                   f"WHERE id = '{hashlib.sha256(token.encode()).hexdigest()}'")
    check(len(rows) == 1, f"the token's row: {rows}")
    return int(rows[0][0])


def assert_throttled(site, r, what):
    check(r.status == 429, f"{what}: expected 429", r)
    check(r.location is None, f"{what}: a refusal must not redirect", r)
    retry = r.header("Retry-After") or ""
    check(re.fullmatch(r"[1-9][0-9]*", retry) is not None and int(retry) <= 60,
          f"{what}: expected Retry-After in seconds (at most the window, 60)", r)
    check(json_error(r) == "too_many_requests",
          f'{what}: expected the body {{"error":"too_many_requests"}}', r)


def block_and_check(site, addr, other):
    """The throttle's rules for the client addr (other: an address of no
    failure), on site."""
    name, password = site.new_user("thr")
    pat = add_token(site, name)
    spare = add_token(site, name)
    jar = site.login(name, password)
    # Each kind of refusal counts: a bad access token, a malformed header,
    # Basic with the real password.
    refusals = [
        (bearer(mint(site, name, aud="https://app.partner.test")), "invalid_token", "Bearer"),
        ({"Authorization": "bearer " + pat}, "invalid_request", "Bearer"),
        (basic(name, password), "invalid_token", "Basic"),
    ]
    check(len(refusals) == THROTTLE_MAX, "the test blocks with THROTTLE_MAX refusals")
    for headers, error, scheme in refusals:
        r = site.get("/private/", headers=from_(addr, headers))
        assert_refused(site, r, f"refusal from {addr}: {headers}", error=error, scheme=scheme)
    check(len(throttled_rows(site, addr)) == 1,
          f"the block of {addr}: expected one throttled audit row, got "
          f"{throttled_rows(site, addr)}")
    # Blocked: every credential, a valid token too, is 429, and a token is
    # not looked up (its last_used_at stays unwritten).
    for headers, what in ((bearer("x.y.z"), "a bad access token"),
                          ({"Authorization": "Negotiate abc"}, "a malformed header"),
                          (bearer(pat), "a valid token as Bearer"),
                          (basic(name, pat), "a valid token as Basic's password")):
        assert_throttled(site, site.get("/private/", headers=from_(addr, headers)),
                         f"{what} from the blocked {addr}")
    check(last_used(site, pat) == 0,
          f"a blocked client's token was looked up: last_used_at {last_used(site, pat)}")
    # The login page counts the same client: blocked there too.
    login_jar = CookieJar()
    _, csrf = site.login_form(login_jar)
    r = site.http.post_form(LOGIN, {"username": name, "password": password, "csrf": csrf},
                            jar=login_jar, headers=from_(addr))
    check(r.status == 429, f"the login page from the blocked {addr}: expected 429", r)
    # No more audit rows: one block, one row.
    check(len(throttled_rows(site, addr)) == 1,
          f"{addr}'s refusals while blocked wrote audit rows: {throttled_rows(site, addr)}")
    # What a blocked client still gets: a valid access token (the throttle
    # is read only for a refused one) and its session.
    r = site.get("/private/", headers=from_(addr, bearer(mint(site, name))))
    check(r.status == 200, f"a valid access token from the blocked {addr}: expected 200", r)
    r = site.get("/private/", jar=CookieJar(**jar.cookies), headers=from_(addr))
    check(r.status == 200, f"a session from the blocked {addr}: expected 200", r)
    # Another client is not blocked, with the same token.
    r = site.get("/private/", headers=from_(other, bearer(pat)))
    check(r.status == 200, f"the token from {other}: expected 200", r)
    check(last_used(site, pat) > 0, "the token's last_used_at should be written once it is used")
    r = site.get("/private/", headers=from_(other, basic(name, spare)))
    check(r.status == 200, f"the spare token as Basic from {other}: expected 200", r)
    return name


@test("check_bearer_throttle_blocks_the_client", kind=KIND, databases=("sqlite",))
def check_bearer_throttle_blocks_the_client(site):
    block_and_check(site, "198.51.100.7", "198.51.100.8")


@test("check_bearer_throttle_on_a_server_database", kind=KIND, servers=("lighttpd",),
      databases=("mariadb", "postgresql"))
def check_bearer_throttle_on_a_server_database(site):
    name = block_and_check(site, "198.51.100.17", "198.51.100.18")
    # The blacklist, read under the check's own account.
    body = access_claims(site, name)
    token = mint(site, name, claims=body)
    r = site.get("/private/", headers=from_("198.51.100.19", bearer(token)))
    check(r.status == 200, "an access token on a server database: expected 200", r)
    run_sql(site, "INSERT INTO revoked_jti (jti, expires_at) VALUES "
            f"('{body['jti']}', {body['exp']})")
    r = site.get("/private/", headers=from_("198.51.100.19", bearer(token)))
    assert_refused(site, r, "a blacklisted access token on a server database")
