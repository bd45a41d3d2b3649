"""gatehouse-check and the Authorization header: an access token (a JWT
signed with the site's key) or a personal access token, as Bearer or as
the password of HTTP Basic, decides the request alone; what the backend
then learns; the role rules against a token's own roles; and the cookie,
which the header replaces and never backs up.  Under the three web
servers, on SQLite (the database plays no part beyond pat_lookup's and the
blacklist's reads: the server databases' side is test_db_accounts.py's
and test_check_bearer_throttle.py's).  The attacks on access tokens are in
test_check_bearer_attacks.py."""

import hashlib
import json
from urllib.parse import urlencode

from bearer_support import (add_token, assert_identity, assert_refused, basic, bearer, mint,
                            run_sql, user_id, whoami)
from client import CookieJar
from fixtures import LOGIN
from harness import check, test

SQLITE = ("sqlite",)


@test("check_bearer_jwt_grants_with_the_tokens_identity", databases=SQLITE)
def check_bearer_jwt_grants_with_the_tokens_identity(site):
    name, _ = site.new_user("jwt")
    uid = user_id(site, name)
    token = mint(site, name, uid=uid, roles=("editor", "staff"), email=f"{name}@example.test")
    r, env = whoami(site, bearer(token))
    assert_identity(site, env, r, name, {"editor", "staff"}, uid=uid,
                    email=f"{name}@example.test", what="a valid access token")
    # The roles are the token's, signed: no database read decides them.
    r = site.get("/admin/", headers=bearer(mint(site, name, uid=uid, roles=("admin",))))
    check(r.status == 200 and "Admin page" in r.text,
          "an access token carrying the role admin: GET /admin/ expected the admin page", r)
    # A browser's Accept changes nothing.
    r = site.get("/private/", headers=dict(bearer(token), Accept="text/html"))
    check(r.status == 200, "a valid access token from a browser: expected 200", r)


@test("check_bearer_jwt_role_rule", databases=SQLITE)
def check_bearer_jwt_role_rule(site):
    name, _ = site.new_user("jwtrole", roles=("admin",))
    # The user holds admin; the token does not carry it: the token decides.
    token = mint(site, name, roles=("editor",))
    r = site.get("/admin/", headers=bearer(token))
    assert_refused(site, r, "an access token without the role admin on /admin/",
                   error="insufficient_scope", status=403)
    check("Admin page" not in r.text, "the admin page was served", r)
    r = site.get("/private/", headers=bearer(token))
    check(r.status == 200, "the same token on /private/ (require:login): expected 200", r)
    r = site.get("/admin/", headers=bearer(mint(site, name, roles=("editor", "admin"))))
    check(r.status == 200 and "Admin page" in r.text,
          "an access token with the role admin: GET /admin/ expected the admin page", r)


@test("check_bearer_pat_grants_with_its_roles", databases=SQLITE)
def check_bearer_pat_grants_with_its_roles(site):
    name, _ = site.new_user("pat", roles=("admin",))
    token = add_token(site, name, "--role", "admin")
    r, env = whoami(site, bearer(token))
    assert_identity(site, env, r, name, {"admin"}, uid=user_id(site, name),
                    what="a personal access token as Bearer")
    r = site.get("/admin/", headers=bearer(token))
    check(r.status == 200 and "Admin page" in r.text,
          "a token with the role admin: GET /admin/ expected the admin page", r)
    used = run_sql(site, "SELECT COALESCE(last_used_at, 0) FROM personal_access_tokens "
                   f"WHERE user_id = {user_id(site, name)}")
    check(len(used) == 1 and int(used[0][0]) > 0,
          f"the check should have written the token's last_used_at: {used}")


@test("check_bearer_pat_roles_narrower_than_the_users", databases=SQLITE)
def check_bearer_pat_roles_narrower_than_the_users(site):
    name, password = site.new_user("narrow", roles=("admin",))
    token = add_token(site, name)  # no role
    r = site.get("/admin/", headers=bearer(token))
    assert_refused(site, r, "a token without the role its user holds, on /admin/",
                   error="insufficient_scope", status=403)
    r, env = whoami(site, bearer(token))
    assert_identity(site, env, r, name, set(), what="a token without roles")
    # The user's own session has the role all the same.
    jar = site.login(name, password)
    r = site.get("/admin/", jar=jar)
    check(r.status == 200, "the same user's session on /admin/: expected 200", r)
    # As Basic's password, the same.
    r = site.get("/admin/", headers=basic(name, token))
    assert_refused(site, r, "the token as Basic's password on /admin/",
                   error="insufficient_scope", status=403)


@test("check_basic_pat_with_its_users_name", databases=SQLITE)
def check_basic_pat_with_its_users_name(site):
    name, _ = site.new_user("basic", roles=("admin",))
    token = add_token(site, name, "--role", "admin")
    r, env = whoami(site, basic(name, token))
    assert_identity(site, env, r, name, {"admin"}, uid=user_id(site, name),
                    what="a token as Basic's password")
    r = site.get("/admin/", headers=basic(name, token))
    check(r.status == 200 and "Admin page" in r.text,
          "a token with the role admin as Basic's password: expected the admin page", r)


@test("check_basic_other_users_name_refused", databases=SQLITE)
def check_basic_other_users_name_refused(site):
    name, _ = site.new_user("basicname")
    token = add_token(site, name)
    r = site.get("/private/", headers=basic(name, token))
    check(r.status == 200, "the token with its user's name (the control): expected 200", r)
    other, _ = site.new_user("basicother")
    r = site.get("/private/", headers=basic(other, token))
    assert_refused(site, r, "the token with another user's name", scheme="Basic")
    for given in (name.upper(), name + " ", " " + name, name + "x", ""):
        r = site.get("/private/", headers=basic(given, token))
        what = f"the token with the user name {given!r}"
        if given == "":
            assert_refused(site, r, what, error="invalid_request", scheme="Basic")
        else:
            assert_refused(site, r, what, scheme="Basic")


@test("check_basic_real_password_refused", databases=SQLITE)
def check_basic_real_password_refused(site):
    name, password = site.new_user("realpw")
    r = site.get("/private/", headers=basic(name, password))
    assert_refused(site, r, "Basic with the user's real password", scheme="Basic")
    # The password itself is right: the login takes it.
    site.login(name, password)


def fresh_token(site, prefix):
    """A user and a token of theirs, granted (the control): (name, token,
    the token's stored id)."""
    name, _ = site.new_user(prefix)
    token = add_token(site, name)
    r = site.get("/private/", headers=bearer(token))
    check(r.status == 200, "a fresh token (the control): expected 200", r)
    return name, token, hashlib.sha256(token.encode()).hexdigest()


@test("check_bearer_pat_revoked_refused", databases=SQLITE)
def check_bearer_pat_revoked_refused(site):
    name, token, stored = fresh_token(site, "patrevoked")
    site.stack.ctl("token", "revoke", stored[:12])
    assert_refused(site, site.get("/private/", headers=bearer(token)), "a revoked token")
    assert_refused(site, site.get("/private/", headers=basic(name, token)),
                   "a revoked token as Basic's password", scheme="Basic")


@test("check_bearer_pat_expired_refused", databases=SQLITE)
def check_bearer_pat_expired_refused(site):
    name, token, stored = fresh_token(site, "patexpired")
    run_sql(site, f"UPDATE personal_access_tokens SET expires_at = 1000 WHERE id = '{stored}'")
    assert_refused(site, site.get("/private/", headers=bearer(token)), "an expired token")
    assert_refused(site, site.get("/private/", headers=basic(name, token)),
                   "an expired token as Basic's password", scheme="Basic")


@test("check_bearer_pat_of_an_inactive_user_refused", databases=SQLITE)
def check_bearer_pat_of_an_inactive_user_refused(site):
    name, token, _ = fresh_token(site, "patinactive")
    site.stack.ctl("user", "disable", name)
    assert_refused(site, site.get("/private/", headers=bearer(token)),
                   "the token of a disabled user")
    site.stack.ctl("user", "enable", name)
    r = site.get("/private/", headers=bearer(token))
    check(r.status == 200, "the token once its user is enabled again: expected 200", r)


@test("check_bearer_header_replaces_the_cookie", databases=SQLITE)
def check_bearer_header_replaces_the_cookie(site):
    name, password = site.new_user("both", roles=("admin",))
    jar = site.login(name, password)
    # A refused credential never falls back to a valid session.
    for headers, error in ((bearer("not-a-token"), "invalid_token"),
                           (bearer(mint(site, name, exp=1000, iat=100)), "invalid_token"),
                           ({"Authorization": "Digest username=\"x\""}, "invalid_request"),
                           ({"Authorization": "bearer x"}, "invalid_request")):
        r = site.get("/private/", jar=CookieJar(**jar.cookies), headers=headers)
        assert_refused(site, r, f"a valid session and {headers}", error=error)
    # A valid one decides who the user is, whatever the cookie says.
    other, _ = site.new_user("other")
    r, env = whoami(site, bearer(mint(site, other, roles=("staff",))),
                    jar=CookieJar(**jar.cookies))
    assert_identity(site, env, r, other, {"staff"}, what="a valid session and another's token")
    r = site.get("/admin/", jar=CookieJar(**jar.cookies), headers=bearer(mint(site, other)))
    assert_refused(site, r, "an admin's session and a token without admin, on /admin/",
                   error="insufficient_scope", status=403)


@test("check_bearer_cookie_requests_unaffected", databases=SQLITE)
def check_bearer_cookie_requests_unaffected(site):
    name, password = site.new_user("cookie")
    jar = site.login(name, password)
    r, env = whoami(site, {}, jar=CookieJar(**jar.cookies))
    check(env is not None and env.get("GATEHOUSE_USER") == name,
          "the session alone: the backend should see its user", r)
    # An empty header is no header.
    r = site.get("/private/", jar=CookieJar(**jar.cookies), headers={"Authorization": ""})
    check(r.status == 200, "a session and an empty Authorization header: expected 200", r)
    r = site.get("/private/", headers={"Authorization": ""})
    check(r.status == 302 and (r.location or "").startswith(LOGIN),
          "no session and an empty Authorization header: expected the redirect to the login", r)
    r = site.get("/private/")
    check(r.status == 302 and (r.location or "").startswith(LOGIN),
          "no session, no header: expected the redirect to the login", r)
    # Public pages need nothing, with or without a credential.
    for headers in ({}, bearer("not-a-token")):
        r = site.get("/public/", headers=headers)
        check(r.status == 200, f"GET /public/ with {headers}: expected 200", r)


def token_api(site, path, fields):
    """POST path (the token API of gatehouse-sso) with fields, as an API
    client does: the answer and its JSON."""
    r = site.http.request("POST", path, body=urlencode(fields).encode(),
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        return r, json.loads(r.body)
    except ValueError:
        return r, None


@test("check_bearer_token_api_access_token_end_to_end", databases=SQLITE)
def check_bearer_token_api_access_token_end_to_end(site):
    # What the token API issues, the check takes; what it revokes, the
    # check refuses at once (the blacklist).
    name, password = site.new_user("api", roles=("admin",))
    r, body = token_api(site, "/auth/token",
                        {"grant_type": "password", "username": name, "password": password})
    check(r.status == 200 and body and body.get("token_type") == "Bearer",
          "POST /auth/token (password grant): expected 200 and a Bearer token", r)
    access = body["access_token"]
    r, env = whoami(site, bearer(access))
    assert_identity(site, env, r, name, {"admin"}, uid=user_id(site, name),
                    what="the token API's access token")
    r = site.get("/admin/", headers=bearer(access))
    check(r.status == 200 and "Admin page" in r.text,
          "the token API's access token with the role admin: expected the admin page", r)
    r, _ = token_api(site, "/auth/token/revoke", {"token": access})
    check(r.status == 200, "POST /auth/token/revoke of the access token: expected 200", r)
    assert_refused(site, site.get("/private/", headers=bearer(access)),
                   "an access token revoked through the token API")
    # The end of the user's sessions blacklists the tokens they gave.
    r, body = token_api(site, "/auth/token",
                        {"grant_type": "password", "username": name, "password": password})
    check(r.status == 200 and body, "a second password grant: expected 200", r)
    check(site.get("/private/", headers=bearer(body["access_token"])).status == 200,
          "the second access token: expected 200")
    site.stack.ctl("session", "revoke", "--user", name)
    assert_refused(site, site.get("/private/", headers=bearer(body["access_token"])),
                   "an access token after its user's sessions were revoked")
