"""gatehouse-sso as partners and users meet it (design §8): a partner's
signed token, by GET or by a cross-site POST, opens a session like a
login's (auth_method sso, the login's cookie, any earlier session of the
client revoked) and redirects to a target of the partner's allowlist; an
unknown user is refused unless the partner provisions users; the
partner's roles are mapped onto local roles held by that session alone,
never "admin" unless the partner is allowed to give it; a logged-in user
is sent to a partner with a token of ours (/auth/sso/out), and our public
keys are published at /auth/jwks.json.

The refusals by attack are in test_sso_attacks.py, the tokens of other
JWT implementations (PyJWT, jose) and the verification of ours in
test_sso_interop.py.  These run on the sso site (sso_support.py) under
every web server, on SQLite only: nothing here depends on the database
(test_sso_attacks.py has the multi-server test on MariaDB and
PostgreSQL)."""

import json
import secrets
import subprocess

from client import Client, CookieJar
from fixtures import COOKIE, LOGIN
from harness import check, test
from sso_support import (APP_URL, DEFAULT_REDIRECT, DROP, JWKS, QS_URL, SSO_OUT, agent,
                         assert_refused, assert_signed_in, audit_rows, mint, one_audit_row,
                         roles_seen, sign_in, sso_get, sso_post)

KIND = "sso"


def add_user(site, prefix, email=None, roles=()):
    """A user with a fresh name, and an e-mail address made unique from
    email when given; returns (name, password)."""
    tag = secrets.token_hex(3)
    name = f"{prefix}{tag}"
    password = secrets.token_urlsafe(18)
    args = ["user", "add", name, "--password-stdin"]
    if email:
        args += ["--email", email.replace("@", f"-{tag}@", 1)]
    for role in roles:
        args += ["--role", role]
    site.stack.ctl(*args, input=password + "\n")
    return name, password


def user_show(site, name):
    """{field: value} of `gatehousectl user show NAME`, or None (exit 3)."""
    proc = site.stack.ctl("user", "show", name, check=False)
    if proc.returncode == 3:
        return None
    check(proc.returncode == 0, f"user show {name}: exit {proc.returncode}: {proc.stderr}")
    return dict(line.split(": ", 1) if ": " in line else (line.rstrip(":"), "")
                for line in proc.stdout.splitlines())


# -- Signing in ---------------------------------------------------------------


@test("sso_get_signs_in_and_redirects_to_next", kind=KIND)
def sso_get_signs_in_and_redirects_to_next(site):
    name, _ = site.new_user("ssoget")
    for next, where in (("/private/page.html?a=1&b=2", "a target under the prefix /private/"),
                        ("/public/index.html", "the exact target /public/index.html"),
                        ("https://app.partner.test/dash?x=1",
                         "an absolute target under https://app.partner.test/")):
        jar = CookieJar()
        r, ua = sso_get(site, mint(site, "hs", name), next=next, jar=jar)
        assert_signed_in(site, r, jar, name, next, f"GET /auth/sso with next {where}",
                         partner="hs", ua=ua)


@test("sso_without_next_goes_to_default_redirect", kind=KIND)
def sso_without_next_goes_to_default_redirect(site):
    name, _ = site.new_user("ssodefault")
    for next in (None, ""):
        jar = CookieJar()
        r, ua = sso_get(site, mint(site, "hs", name), next=next, jar=jar)
        assert_signed_in(site, r, jar, name, DEFAULT_REDIRECT,
                         f"GET /auth/sso with next {next!r}", partner="hs", ua=ua)


@test("sso_post_cross_site_without_csrf_token_signs_in", kind=KIND)
def sso_post_cross_site_without_csrf_token_signs_in(site):
    # A partner's page POSTs the token from its own origin: no CSRF token,
    # no pre-login cookie, a foreign Origin; the token proves itself.
    name, _ = site.new_user("ssopost")
    jar = CookieJar()
    r, ua = sso_post(site, mint(site, "hs", name), next="/private/from-post", jar=jar)
    assert_signed_in(site, r, jar, name, "/private/from-post",
                     "POST /auth/sso from the partner's origin", partner="hs", ua=ua)
    jar = CookieJar()
    r, ua = sso_post(site, mint(site, "hs", name), jar=jar, origin=None)
    assert_signed_in(site, r, jar, name, DEFAULT_REDIRECT, "POST /auth/sso without next",
                     partner="hs", ua=ua)


@test("sso_session_cookie_same_as_login", kind=KIND)
def sso_session_cookie_same_as_login(site):
    name, password = site.new_user("ssocookie")
    jar = CookieJar()
    login = site.post_login(jar, name, password)
    check(login.status == 303 and login.cookie(COOKIE), "form login: expected a cookie", login)
    r, _ = sso_get(site, mint(site, "hs", name))
    check(r.status == 303 and r.cookie(COOKIE), "sso: expected a session cookie", r)
    theirs, ours = login.cookie(COOKIE), r.cookie(COOKIE)
    check(set(theirs.attrs) == set(ours.attrs) and
          all(theirs.attrs[a] == ours.attrs[a] for a in theirs.attrs
              if a not in ("expires", "max-age")),
          f"the sso cookie's attributes {ours.raw!r} differ from the login's {theirs.raw!r}")
    check(len(ours.value) == len(theirs.value) and ours.value != theirs.value,
          "the sso cookie should be a fresh token like the login's")


@test("sso_revokes_the_clients_earlier_session", kind=KIND)
def sso_revokes_the_clients_earlier_session(site):
    # No fixation: the session the browser had (another user's, or a
    # session planted by an attacker) ends; the new one has a new token.
    before, password = site.new_user("ssofixold")
    name, _ = site.new_user("ssofixnew")
    jar = site.login(before, password)
    old = CookieJar(**jar.cookies)
    r, ua = sso_get(site, mint(site, "hs", name), jar=jar)
    assert_signed_in(site, r, jar, name, DEFAULT_REDIRECT, "sso over an existing session",
                     partner="hs", ua=ua)
    check(jar.get(COOKIE) != old.get(COOKIE), "sso kept the earlier session's token")
    site.assert_session_refused(old, "the session the client had before the sso")
    check(audit_rows(site, "login_success", ua)[0]["user"] == name,
          "login_success should name the sso's user")


@test("sso_login_audit_names_the_account", kind=KIND)
def sso_login_audit_names_the_account(site):
    # The row's context "username" is the account's name, as a form login's
    # is, not the claim as the partner spelt it (here an e-mail address, in
    # capitals, of a local user named otherwise).
    name, _ = add_user(site, "ssoaudit", email="audit@rs.partner.test")
    address = user_show(site, name)["email"]
    for claim in (address, address.upper()):
        jar = CookieJar()
        r, ua = sso_get(site, mint(site, "rs", claim), jar=jar)
        _, row = assert_signed_in(site, r, jar, name, DEFAULT_REDIRECT,
                                  f"sso by the e-mail {claim}", partner="rs", ua=ua)
        check(row["context"].get("username") == name,
              f"sso by the e-mail {claim}: login_success context username "
              f"{row['context'].get('username')!r}, expected the account's name {name!r}: "
              f"{row}")


@test("sso_unknown_user_refused_without_auto_provision", kind=KIND)
def sso_unknown_user_refused_without_auto_provision(site):
    for partner, who in (("hs", f"ghost{secrets.token_hex(4)}"),
                         ("es", f"ghost{secrets.token_hex(4)}")):
        r, ua = sso_get(site, mint(site, partner, who))
        assert_refused(site, r, ua, "unknown user", f"{partner}: a token for unknown {who}")
        check(user_show(site, who) is None, f"{partner}: the unknown user {who} was created")


@test("sso_bad_user_claim_refused", kind=KIND)
def sso_bad_user_claim_refused(site):
    name, _ = site.new_user("ssoclaim")
    for value, what in (("", "empty"), (f"{name}\n", "with a newline"), ("u" * 255, "255 bytes"),
                        (5, "a number"), ([name], "an array"), (None, "null")):
        r, ua = sso_get(site, mint(site, "hs", name, sub=value))
        assert_refused(site, r, ua, "no user claim", f"a token whose sub is {what}", user=name)
    r, ua = sso_get(site, mint(site, "es", name, preferred_username=DROP))
    assert_refused(site, r, ua, "no user claim", "es: a token without preferred_username",
                   user=name)


@test("sso_inactive_user_refused", kind=KIND)
def sso_inactive_user_refused(site):
    name, _ = site.new_user("ssooff", disabled=True)
    r, ua = sso_get(site, mint(site, "hs", name))
    assert_refused(site, r, ua, "user not active", f"a token for the disabled {name}", user=name)


@test("sso_auto_provision_creates_user_with_email", kind=KIND)
def sso_auto_provision_creates_user_with_email(site):
    email = f"new-{secrets.token_hex(4)}@rs.partner.test"
    check(user_show(site, email) is None, f"{email} exists before the test")
    jar = CookieJar()
    r, ua = sso_get(site, mint(site, "rs", email), jar=jar)
    assert_signed_in(site, r, jar, email, DEFAULT_REDIRECT, "a first sso of an unknown user "
                     "through a partner that provisions users", partner="rs", ua=ua)
    shown = user_show(site, email)
    check(shown is not None and shown["username"] == email and shown["email"] == email
          and shown["status"] == "active" and shown["roles"] == "",
          f"the provisioned user: expected username and email {email}, active, no roles: "
          f"{shown}")
    one_audit_row(site, "user_added", ua, "the provisioning")
    # The second time, the same user: no second account.
    jar2 = CookieJar()
    r, ua = sso_get(site, mint(site, "rs", email), jar=jar2)
    assert_signed_in(site, r, jar2, email, DEFAULT_REDIRECT, "a second sso of the provisioned "
                     "user", partner="rs", ua=ua)
    check(user_show(site, email)["id"] == shown["id"] and
          not audit_rows(site, "user_added", ua),
          "the second sso made another user")
    # E-mail addresses are compared ignoring case, as at login.
    jar2 = CookieJar()
    r, ua = sso_get(site, mint(site, "rs", email.upper()), jar=jar2)
    assert_signed_in(site, r, jar2, email, DEFAULT_REDIRECT, "the provisioned user's e-mail "
                     "in capitals", partner="rs", ua=ua)
    check(not audit_rows(site, "user_added", ua), "the e-mail in capitals made another user")
    # An existing local user with that e-mail is found by it, not duplicated.
    local, _ = add_user(site, "ssolocal", email="local@rs.partner.test")
    address = user_show(site, local)["email"]
    jar3 = CookieJar()
    r, ua = sso_get(site, mint(site, "rs", address), jar=jar3)
    assert_signed_in(site, r, jar3, local, DEFAULT_REDIRECT, "sso by e-mail of a local user",
                     partner="rs", ua=ua)


# -- Roles --------------------------------------------------------------------


@test("sso_roles_mapped_into_the_session_only", kind=KIND)
def sso_roles_mapped_into_the_session_only(site):
    name, password = site.new_user("ssoroles")
    jar = sign_in(site, "hs", name, groups=["editors", "staff", "admins", "admin", 7])
    check(roles_seen(site, jar) == {"editor", "staff"},
          f"expected the mapped roles editor and staff, no other: {roles_seen(site, jar)}")
    r = site.get("/admin/", jar=jar)
    check(r.status == 403, "a partner's 'admin' claim, not in its role_map, opened /admin/", r)
    check(user_show(site, name)["roles"] == "", "the mapped roles were stored on the user")
    # A form login of the same user has its own roles only.
    form = site.login(name, password)
    check(roles_seen(site, form) == set(), "a later form login holds the sso's roles")
    # A string claim maps as well; the user's own roles stay.
    own, _ = site.new_user("ssoroleown", roles=["admin"])
    jar = sign_in(site, "hs", own, groups="staff")
    check(roles_seen(site, jar) == {"admin", "staff"},
          f"expected the user's admin and the mapped staff: {roles_seen(site, jar)}")
    jar = sign_in(site, "hs", own)
    check(roles_seen(site, jar) == {"admin"}, "no role claim: the user's roles alone")


@test("sso_admin_only_from_a_partner_allowed_to_give_it", kind=KIND)
def sso_admin_only_from_a_partner_allowed_to_give_it(site):
    name, _ = site.new_user("ssoboss")
    jar = sign_in(site, "boss", name, roles=["chief"])
    check(roles_seen(site, jar) == {"admin"}, "boss (allow_admin) maps chief to admin")
    r = site.get("/admin/", jar=jar)
    check(r.status == 200, "the session boss made admin: GET /admin/ expected 200", r)
    jar = sign_in(site, "boss", name, roles=["admin", "root"])
    check(roles_seen(site, jar) == set(), "an unmapped 'admin' claim gave a role")
    check(site.get("/admin/", jar=jar).status == 403, "an unmapped 'admin' claim opened /admin/")


@test("sso_config_refuses_admin_mapping_without_allow_admin", kind=KIND, servers=("lighttpd",))
def sso_config_refuses_admin_mapping_without_allow_admin(site):
    base = site.stack.config_path.read_text()
    section = ("\n[partner sneaky]\nissuer = https://sneaky.partner.test\n"
               "audience = https://gatehouse.test/auth\nalgorithm = HS256\n"
               f"secret = {secrets.token_urlsafe(36)}\nrole_claim = groups\n")
    cases = (("role_map = staff:staff boss:admin\n", False, "a role_map giving admin"),
             ("role_map = boss:admin\nallow_admin = false\n", False,
              "a role_map giving admin with allow_admin = false"),
             ("role_map = boss:admin\nallow_admin = true\n", True,
              "a role_map giving admin with allow_admin = true"),
             ("role_map = staff:staff\n", True, "a role_map without admin"))
    for n, (extra, ok, what) in enumerate(cases):
        path = site.stack.state_dir / f"admin-map-{n}.conf"
        path.write_text(base + section + extra)
        proc = subprocess.run(
            [str(site.stack.program("gatehousectl")), "--config", str(path), "check"],
            capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30)
        out = proc.stdout + proc.stderr
        if ok:
            check(proc.returncode == 0, f"gatehousectl check of {what}: expected exit 0: {out}")
        else:
            check(proc.returncode != 0 and "[partner sneaky]" in out and "admin" in out,
                  f"gatehousectl check of {what}: expected a refusal naming [partner sneaky] "
                  f"and admin (exit {proc.returncode}): {out}")


# -- Sending users to a partner -------------------------------------------------


@test("sso_out_without_session_goes_to_login", kind=KIND)
def sso_out_without_session_goes_to_login(site):
    r = site.get(f"{SSO_OUT}?partner=app&next=/x")
    check(r.status == 303 and (r.location or "").startswith(LOGIN),
          f"GET {SSO_OUT} without a session: expected 303 to the login page", r)
    check(not r.cookie(COOKIE), "no session cookie either", r)


@test("sso_out_unknown_partner_404", kind=KIND)
def sso_out_unknown_partner_404(site):
    name, password = site.new_user("ssoout404")
    jar = site.login(name, password)
    for query, what in (("?partner=nobody", "a partner not configured"),
                        ("?partner=hs", "a partner without sso_url"),
                        ("?partner=", "an empty partner"), ("", "no partner")):
        r = site.get(f"{SSO_OUT}{query}", jar=jar)
        check(r.status == 404, f"GET {SSO_OUT}{query} ({what}): expected 404", r)
        check(not (r.location or "").startswith(APP_URL), f"{what}: redirected to a partner", r)


@test("sso_out_redirects_to_partner_with_token", kind=KIND)
def sso_out_redirects_to_partner_with_token(site):
    # What the token holds is checked in test_sso_interop.py (PyJWT, jose).
    name, password = site.new_user("ssoout")
    jar = site.login(name, password)
    ua = agent()
    r = Client(site.stack.port, user_agent=ua).get(
        f"{SSO_OUT}?partner=app&next=/dash%3Fa%3D1%26b%3D2", jar=jar)
    check(r.status == 303 and (r.location or "").startswith(APP_URL + "?token="),
          f"GET {SSO_OUT}?partner=app: expected 303 to {APP_URL}?token=...", r)
    token = r.location[len(APP_URL + "?token="):].split("&")[0]
    check(token.count(".") == 2, "the token should be a compact JWT", r)
    check(r.location.endswith("&next=%2Fdash%3Fa%3D1%26b%3D2"),
          "the next given should follow the token, encoded", r)
    check(r.header("Cache-Control") == "no-store", "the redirect must not be cached", r)
    row = one_audit_row(site, "sso_issued", ua, f"GET {SSO_OUT}?partner=app")
    check(row["user"] == name and (row["context"] or {}).get("partner") == "app",
          f"sso_issued should name the user and the partner: {row}")
    # The session goes on: sending the user out ends nothing here.
    site.assert_session_valid(jar, "the session after sso out")
    # An sso_url with a query of its own keeps it.
    r = site.get(f"{SSO_OUT}?partner=qs", jar=jar)
    check(r.status == 303 and (r.location or "").startswith(QS_URL + "&token=")
          and "next=" not in r.location,
          f"GET {SSO_OUT}?partner=qs: expected 303 to {QS_URL}&token=... and no next", r)


@test("sso_jwks_publishes_public_keys", kind=KIND)
def sso_jwks_publishes_public_keys(site):
    r = site.get(JWKS)
    check(r.status == 200, f"GET {JWKS}: expected 200", r)
    check((r.header("Content-Type") or "").startswith("application/json"),
          f"GET {JWKS}: expected Content-Type application/json", r)
    doc = json.loads(r.text)
    keys = doc.get("keys")
    check(isinstance(keys, list) and keys, f"GET {JWKS}: expected a non-empty keys array", r)
    listed = site.stack.ctl("keys", "list").stdout
    for key in keys:
        check(key.get("use") == "sig" and key.get("alg") in ("ES256", "RS256") and key.get("kid"),
              f"each key needs kid, alg ES256/RS256 and use sig: {key}")
        check(key["kid"] in listed, f"kid {key['kid']} is not in `gatehousectl keys list`: "
              f"{listed}")
        check(not {"d", "p", "q", "dp", "dq", "qi"} & set(key),
              f"a private part is published: {sorted(key)}")
        check(key["kty"] == ("EC" if key["alg"] == "ES256" else "RSA"),
              f"kty does not fit alg: {key}")
    check(len({key["kid"] for key in keys}) == len(keys), "two keys share a kid")
