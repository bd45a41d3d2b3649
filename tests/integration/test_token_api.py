"""gatehouse-sso's token API as an API client meets it (RFC 6749's
password and refresh_token grants at /auth/token, RFC 7009's revocation
at /auth/token/revoke): a user's password, sent without cookie or CSRF
token and from any origin, buys an access token (a JWT the check takes as
"Authorization: Bearer", verifiable against /auth/jwks.json) and a
refresh token (ghrt_...) that is swapped for a new pair at each use; a
refusal says as little as the login page does; every answer is JSON that
no cache keeps.

These run on the main site under every web server, on SQLite: what is
checked here passes through the web server (bodies, statuses, headers,
the Authorization header); the throttle test on the throttle site, shared
with test_brute_force.py.  What the database keeps (a family revoked on
reuse or revocation, tokens ending with the user's sessions, the lockout)
is in test_token_reuse.py, on every database; the interop checks (jose, an
RS256 key and a configured audience) in test_token_interop.py."""

import json
import secrets
import time

from fixtures import LOGIN, THROTTLE_MAX
from harness import check, test
from client import Client, CookieJar, form_field
from sso_support import agent, audit_of, ec, one_audit_row, raw_token, signer
from token_support import (CROSS_SITE, JSON, JTI, REVOKE, TOKEN, access_claims,
                           add_user, assert_bearer_granted, assert_bearer_refused, assert_error,
                           assert_pair, assert_refused_login, assert_revoke_ok, bearer_get,
                           grant_password, grant_refresh, json_answer, next_address,
                           password_fields, post, post_password, post_refresh, post_revoke,
                           token_sessions, unverified_claims, user_id)

SQLITE = ("sqlite",)


def check_access_claims(site, token, name, uid, email, roles, what):
    """token verifies (PyJWT, /auth/jwks.json, aud and iss the issuer) and
    says: sub name, uid, email (absent when None), the roles (a list, in
    any order), a jti of 43 base64url characters, iat now, exp iat + 900."""
    header, claims = access_claims(site, token, what=what)
    check(header["alg"] == "ES256", f"{what}: the stack's key is ES256: {header}")
    check(claims["sub"] == name, f"{what}: sub should be {name!r}: {claims}")
    check(type(claims.get("uid")) is int and claims["uid"] == uid,
          f"{what}: uid should be the integer {uid}: {claims}")
    if email is None:
        check("email" not in claims, f"{what}: a user without e-mail has no email claim: {claims}")
    else:
        check(claims.get("email") == email, f"{what}: email should be {email!r}: {claims}")
    check(isinstance(claims.get("roles"), list) and sorted(claims["roles"]) == sorted(roles),
          f"{what}: roles should be the array {sorted(roles)}: {claims}")
    check(isinstance(claims["jti"], str) and JTI.match(claims["jti"]),
          f"{what}: jti should be 43 base64url characters: {claims}")
    check(abs(claims["iat"] - time.time()) <= 5, f"{what}: iat should be now: {claims}")
    check(claims["exp"] == claims["iat"] + 900, f"{what}: exp should be iat + 900: {claims}")
    return claims


# -- The password grant ---------------------------------------------------------


@test("token_password_grant_issues_verifiable_pair", databases=SQLITE)
def token_password_grant_issues_verifiable_pair(site):
    name, password, email = add_user(site, "tokpw", email=True, roles=("admin",))
    uid = user_id(site, name)
    # From a page of another site, without cookie or CSRF token: the
    # password proves the request.
    ua = agent()
    r = post_password(site, name, password, ua=ua,
                      headers={"Origin": CROSS_SITE, "Sec-Fetch-Site": "cross-site"})
    pair = assert_pair(r, "a password grant from a cross-site origin")
    check_access_claims(site, pair.access, name, uid, email, ["admin"], "the access token")
    # One session, of auth_method token, as gatehousectl lists it.
    lines = site.stack.ctl("session", "list", name).stdout.splitlines()
    check(len(lines) == 1 and lines[0].split()[5] == "token",
          f"gatehousectl session list {name}: expected one session of auth_method token: "
          f"{lines}")
    row = one_audit_row(site, "login_success", ua, "the password grant")
    check(row["user"] == name and (row["context"] or {}).get("auth_method") == "token",
          f"login_success should name {name} and auth_method token: {row}")
    # The check takes the access token as it takes a session cookie.
    env = assert_bearer_granted(site, pair.access, name, "the access token")
    check(env.get("GATEHOUSE_ROLES", "").split(",") == ["admin"],
          f"the backend should see the role admin: {env}")
    r = bearer_get(site, pair.access, "/admin/")
    check(r.status == 200, "GET /admin/ with an admin's access token: expected 200", r)

    # A user without e-mail or roles: no email claim, roles an empty array;
    # a plain API client sends no Origin at all.
    plain, plain_pw, _ = add_user(site, "tokplain")
    pair = grant_password(site, plain, plain_pw)
    check_access_claims(site, pair.access, plain, user_id(site, plain), None, [],
                        "a plain user's access token")
    assert_bearer_granted(site, pair.access, plain, "a plain user's access token")
    r = bearer_get(site, pair.access, "/admin/")
    check(r.status == 403, "GET /admin/ with the access token of a user without admin: "
          "expected 403", r)
    # Each grant is a token of its own.
    again = grant_password(site, plain, plain_pw)
    check(again.access != pair.access and again.refresh != pair.refresh and
          unverified_claims(again.access)["jti"] != unverified_claims(pair.access)["jti"],
          "two grants gave the same token or jti")


@test("token_json_body_flat_strings_only", databases=SQLITE)
def token_json_body_flat_strings_only(site):
    # A password with what either encoding must carry intact.
    password = "p\u00e4ss w&rd=+%\"\\/\u20ac" + secrets.token_hex(4)
    name, _, _ = add_user(site, "tokjson", password=password)
    fields = password_fields(name, password)
    grant_password(site, name, password, what="the same grant form-urlencoded")
    # ensure_ascii: the non-ASCII characters as \\u escapes.
    pair = assert_pair(post(site, TOKEN, body=json.dumps(fields), content_type=JSON),
                       "a password grant as a JSON object (\\u escapes)")
    check(unverified_claims(pair.access)["sub"] == name, "the JSON grant's sub")
    pair = assert_pair(post(site, TOKEN, body=json.dumps(fields, ensure_ascii=False),
                            content_type=JSON), "a password grant as a JSON object (UTF-8)")
    grant_refresh(site, pair.refresh, content_type=JSON, what="a refresh grant as JSON")

    # Whatever is not a flat object of strings is refused, even around the
    # right password: a refusal, not a login.
    q = json.dumps
    good = f'"grant_type":"password","username":{q(name)},"password":{q(password)}'
    cases = [
        ("{%s,\"extra\":{\"a\":\"b\"}}" % good, "a nested object"),
        ("{%s,\"extra\":[\"a\"]}" % good, "an array value"),
        ("{%s,\"extra\":1}" % good, "a number value"),
        ("{%s,\"extra\":true}" % good, "a boolean value"),
        ("{%s,\"extra\":null}" % good, "a null value"),
        ('{"grant_type":"password","username":%s,"password":123}' % q(name), "a numeric password"),
        ('{"grant_type":"password","username":"nobody","username":%s,"password":%s}'
         % (q(name), q(password)), "a duplicate name"),
        ("{%s,\"grant_type\":\"password\"}" % good, "a duplicate name with the same value"),
        ("[%s]" % q(fields), "an array"),
        (q(urlencode_like(fields)), "a string"),
        ("1", "a number"),
        ("null", "null"),
        ("{%s" % good, "an unterminated object"),
        ("{%s,}" % good, "a trailing comma"),
        ("{%s}x" % good, "trailing garbage"),
        ("{%s}{}" % good, "two objects"),
        ("{'grant_type':'password'}", "single quotes"),
        ("", "an empty body"),
    ]
    sessions = token_sessions(site, name)
    ua = agent()
    for body, what in cases:
        r = post(site, TOKEN, body=body, content_type=JSON, ua=ua)
        assert_error(r, 400, "invalid_request", f"a JSON body with {what}")
    for field in ("username", "password"):
        body = dict(fields)
        body[field] = body[field][:3] + "\u0000" + body[field][3:]
        r = post(site, TOKEN, body=json.dumps(body), content_type=JSON, ua=ua)
        assert_error(r, 400, "invalid_request", f"a JSON body with \\u0000 in the {field}")
    check(not [row for row in audit_of(site, ua) if row["event"] == "login_success"],
          "a refused JSON body logged the user in")
    check(token_sessions(site, name) == sessions,
          f"the refused JSON bodies made sessions: {token_sessions(site, name)}")


def urlencode_like(fields):
    return "&".join(f"{k}={v}" for k, v in fields.items())


@test("token_refused_password_same_answer_for_all", databases=SQLITE)
def token_refused_password_same_answer_for_all(site):
    name, password, _ = add_user(site, "tokbad")
    off, off_pw, _ = add_user(site, "tokoff", disabled=True)
    ghost = f"tokghost{secrets.token_hex(4)}"
    bodies = []
    for user, pw, what in ((name, password + "x", "a wrong password"),
                           (ghost, password, "an unknown user"),
                           (off, off_pw, "a disabled user's right password")):
        ua = agent()
        r = post_password(site, user, pw, ua=ua)
        assert_refused_login(r, what)
        bodies.append(r.body)
        rows = audit_of(site, ua)
        check([row["event"] for row in rows] == ["login_failure"] and
              rows[0]["result"] == "failure",
              f"{what}: expected one login_failure audit row and no other: {rows}")
    check(len(set(bodies)) == 1, f"the three refusals differ: {bodies}")
    check(token_sessions(site, name) == [] and token_sessions(site, off) == [],
          "a refused grant made a session")


# -- Malformed requests ---------------------------------------------------------


@test("token_request_errors_answered_in_json", databases=SQLITE)
def token_request_errors_answered_in_json(site):
    name, password, _ = add_user(site, "tokreq")
    missing = [
        ({}, "an empty body"),
        ({"username": name, "password": password}, "no grant_type"),
        ({"grant_type": "password", "password": password}, "no username"),
        ({"grant_type": "password", "username": name}, "no password"),
        ({"grant_type": "refresh_token"}, "no refresh_token"),
    ]
    for fields, what in missing:
        assert_error(post(site, TOKEN, fields), 400, "invalid_request", f"POST {TOKEN}, {what}")
    for grant in ("client_credentials", "authorization_code", "implicit",
                  "urn:ietf:params:oauth:grant-type:jwt-bearer"):
        r = post(site, TOKEN, {"grant_type": grant, "username": name, "password": password})
        assert_error(r, 400, "unsupported_grant_type", f"grant_type={grant}")
    for path in (TOKEN, REVOKE):
        r = site.get(path)
        check(r.status == 405, f"GET {path}: expected 405", r)
        json_answer(r, f"GET {path}")
    assert_error(post(site, REVOKE, {}), 400, "invalid_request", f"POST {REVOKE} without token")
    assert_error(post(site, REVOKE, {"token_type_hint": "refresh_token"}), 400,
                 "invalid_request", f"POST {REVOKE} with a hint and no token")
    # Over the size limit ([login] max_body, here 8192 bytes), around a
    # good password.
    pad = "a" * 20000
    for path, body, kind in ((TOKEN, f"grant_type=password&username={name}&password={password}"
                              f"&pad={pad}", None),
                             (TOKEN, json.dumps(dict(password_fields(name, password), pad=pad)),
                              JSON),
                             (REVOKE, f"token={pad}", None)):
        r = post(site, path, body=body, **({"content_type": kind} if kind else {}))
        check(r.status == 413, f"a {len(body)}-byte body to {path}: expected 413", r)
        json_answer(r, f"the 413 of {path}")
    check(token_sessions(site, name) == [], "a refused request made a session")
    grant_password(site, name, password, what="a grant after the refused requests")


# -- The refresh grant ----------------------------------------------------------


@test("token_refresh_grant_rotates_the_pair", databases=SQLITE)
def token_refresh_grant_rotates_the_pair(site):
    name, password, _ = add_user(site, "tokrot", roles=("admin",))
    uid = user_id(site, name)
    first = grant_password(site, name, password)
    second = grant_refresh(site, first.refresh, what="the first refresh",
                           headers={"Origin": CROSS_SITE})
    check(second.refresh != first.refresh and second.access != first.access,
          "the refresh grant should give a new refresh token and a new access token")
    claims = check_access_claims(site, second.access, name, uid, None, ["admin"],
                                 "the refreshed access token")
    check(claims["jti"] != unverified_claims(first.access)["jti"],
          "the refreshed access token has the first one's jti")
    assert_bearer_granted(site, second.access, name, "the refreshed access token")
    third = grant_refresh(site, second.refresh, what="the second refresh")
    check(third.refresh not in (first.refresh, second.refresh), "a refresh token came back")
    assert_bearer_granted(site, third.access, name, "the access token of the second refresh")
    # The presented token was consumed: it buys nothing a second time.
    r = post_refresh(site, first.refresh)
    assert_error(r, 400, "invalid_grant", "the first refresh token, consumed, again")


@test("token_refresh_unknown_or_malformed_invalid_grant", databases=SQLITE)
def token_refresh_unknown_or_malformed_invalid_grant(site):
    name, password, _ = add_user(site, "tokunk")
    real = grant_password(site, name, password).refresh
    for token, what in ((f"ghrt_{secrets.token_urlsafe(32)}", "an unknown ghrt_ token"),
                        (real[:-1], "a real token cut short"),
                        (real + "A", "a real token with one more character"),
                        (real[:20] + ("A" if real[20] != "A" else "B") + real[21:],
                         "a real token with a character changed"),
                        ("ghrt_", "the bare prefix"),
                        ("garbage", "garbage"),
                        (real[len("ghrt_"):], "a real token without its prefix")):
        assert_error(post_refresh(site, token), 400, "invalid_grant", what)
    # A field longer than any token is a malformed request
    # (gatehouse-sso(8): invalid_request) or a token not valid: either way
    # a 400 that grants nothing.
    r = post_refresh(site, "ghrt_" + "A" * 4000)
    check(r.status == 400 and json_answer(r, "a 4005-byte refresh token").get("error") in
          ("invalid_request", "invalid_grant"),
          "a 4005-byte refresh token: expected 400 invalid_request or invalid_grant", r)
    grant_refresh(site, real, what="the real token after the wrong ones")


# -- Revocation -----------------------------------------------------------------


@test("token_revoke_answers_200_for_any_token", databases=SQLITE)
def token_revoke_answers_200_for_any_token(site):
    name, password, _ = add_user(site, "tokrev")
    pair = grant_password(site, name, password)
    rogue = ec.generate_private_key(ec.SECP256R1())
    forged = raw_token({"alg": "ES256", "typ": "at+jwt", "kid": "not-ours"},
                       dict(unverified_claims(pair.access), jti=secrets.token_urlsafe(32)),
                       sign=signer("ES256", rogue))
    ua = agent()
    for token, what in ((f"ghrt_{secrets.token_urlsafe(32)}", "an unknown refresh token"),
                        ("garbage", "garbage"),
                        (forged, "an access token signed by another key"),
                        (pair.access[:-4] + "AAAA", "an access token with a broken signature"),
                        ("x" * 4000, "4000 bytes")):
        for hint in (None, "refresh_token", "access_token", "something_else"):
            r = post_revoke(site, token, hint, ua=ua)
            assert_revoke_ok(r, f"revoking {what} (hint {hint})")
    rows = [row for row in audit_of(site, ua) if row["event"] == "token_revoked"]
    check(rows == [], f"revoking tokens that were not valid wrote token_revoked rows: {rows}")
    # None of that touched the real tokens.
    assert_bearer_granted(site, pair.access, name, "the access token after the others' revocation")
    # A real access token revoked: the check refuses it through every web
    # server at once (test_token_reuse.py: the rest of what revocation does).
    assert_revoke_ok(post_revoke(site, pair.access), "revoking a valid access token")
    assert_bearer_refused(site, pair.access, "the revoked access token")


# -- The throttle ---------------------------------------------------------------


@test("token_refusals_throttled_with_login", kind="throttle", databases=SQLITE)
def token_refusals_throttled_with_login(site):
    # The throttle site: THROTTLE_MAX refusals per client address a minute,
    # counted together with /auth/login's; the default (costly) hashing.
    name, password, _ = add_user(site, "tokthr")

    def throttled(r, what):
        check(r.status == 429, f"{what}: expected 429", r)
        body = json_answer(r, what)
        check(isinstance(body.get("error"), str), f"{what}: expected a JSON error", r)
        retry = r.header("Retry-After") or ""
        check(retry.isdigit() and 1 <= int(retry) <= 60,
              f"{what}: expected Retry-After in seconds, got {retry!r}", r)
        return body

    # Wrong refresh tokens from one address: then the right password from
    # there is throttled too, at /auth/token and at the login page (its
    # form fetched before, as a script would keep it).
    a = next_address()
    client = Client(site.stack.port, source=a)
    jar = CookieJar()
    page = client.get(LOGIN, jar=jar)
    check(page.status == 200, f"GET {LOGIN} from {a}: expected 200", page)
    for n in range(THROTTLE_MAX):
        assert_error(post_refresh(site, f"ghrt_{secrets.token_urlsafe(32)}", source=a), 400,
                     "invalid_grant", f"wrong refresh token {n + 1} of {THROTTLE_MAX}")
    throttled(post_refresh(site, f"ghrt_{secrets.token_urlsafe(32)}", source=a),
              "a wrong refresh token past the limit")
    throttled(post_password(site, name, password, source=a),
              "the right password from an address throttled by wrong refresh tokens")
    r = client.post_form(LOGIN, {"username": name, "password": password,
                                 "csrf": form_field(page.text, "csrf") or ""}, jar=jar)
    check(r.status == 429, "the login page from an address throttled at /auth/token: "
          "expected 429", r)
    # Wrong passwords, at the login page and at /auth/token, count together.
    b = next_address()
    client = Client(site.stack.port, source=b)
    for n in range(THROTTLE_MAX - 1):
        jar = CookieJar()
        page = client.get(LOGIN, jar=jar)
        r = client.post_form(LOGIN, {"username": name, "password": password + "x",
                                     "csrf": form_field(page.text, "csrf") or ""}, jar=jar)
        check(r.status == 401, f"wrong password {n + 1} at the login page: expected 401", r)
    assert_refused_login(post_password(site, name, password + "x", source=b),
                         f"wrong password {THROTTLE_MAX} at {TOKEN}")
    throttled(post_password(site, name, password, source=b),
              "the right password after wrong ones at the login page and the token API")
    check(token_sessions(site, name) == [], "a throttled grant made a session")
    # The throttle is the client's, not the account's.
    grant_password(site, name, password, source=next_address(),
                   what="the right password from another address")

