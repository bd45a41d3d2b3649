"""The route table and its pipeline (common/route.h), tried from outside as
an attacker would: every route of every page responder, read from the
program itself (--routes), against the protection it declares.

- an anonymous POST without a CSRF token to every state-changing route is
  refused (403, or 303 to the login page for a route that needs a
  session), and no session cookie is set; a route whose POST proves
  itself (gatehouse-sso's partner token, the token API's credentials:
  "csrf:self-proving") is refused without its proof (the partner page's
  403, the token API's 400 invalid_request in JSON);
- a POST with another user's valid CSRF token but a foreign Origin is
  refused;
- a POST's form fields are checked as its route declares them: an
  overlong one gives the form again (400) with the field's message, and
  no session;
- every answer of a page responder carries the security headers: pages,
  the 404 and 405 the pipeline makes (with Allow from the table) and the
  redirects (the logout's without a session lacked them once);
- the check's --routes says it answers every path by the [check] rules."""

import subprocess

from client import CookieJar
from fixtures import COOKIE, LOGIN, LOGOUT
from harness import check, test

PREFIX = "/auth"
PAGE_RESPONDERS = ("gatehouse-login", "gatehouse-logout", "gatehouse-sso")
# What a GET without anything (no session, no token) answers, where it is
# not the page (200): gatehouse-sso's refusal without a partner token, and
# the login page for what needs a session.
GET_STATUS = {PREFIX + "/sso": 403, PREFIX + "/sso/out": 303}
# What an anonymous POST of a login form answers on a route that proves
# itself, where it is not 403: the token API asks for its grant_type or
# token (RFC 6749 and 7009's invalid_request).
SELF_PROVING_POST_STATUS = {PREFIX + "/token": 400, PREFIX + "/token/revoke": 400}
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def routes_of(site, program):
    """[(methods, path, caller, csrf)] from PROGRAM --routes."""
    proc = subprocess.run([str(site.stack.program(program)), "--routes"], capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=10)
    check(proc.returncode == 0, f"{program} --routes: exit {proc.returncode}: {proc.stderr}")
    routes = []
    for line in proc.stdout.splitlines():
        methods, path, caller, csrf = line.split()
        check(path.startswith("<prefix>/"), f"{program} --routes: bad line {line!r}")
        routes.append((methods.split(","), PREFIX + path[len("<prefix>"):], caller, csrf))
    check(routes, f"{program} --routes printed no route")
    return routes


def check_security_headers(r, what):
    for name, value in SECURITY_HEADERS.items():
        check(r.header(name) == value, f"{what}: {name} should be {value!r}", r)
    check("frame-ancestors 'none'" in (r.header("Content-Security-Policy") or ""),
          f"{what}: no Content-Security-Policy with frame-ancestors", r)


@test("routes_anonymous_post_without_token_refused")
def routes_anonymous_post_without_token_refused(site):
    posts = 0
    for program in PAGE_RESPONDERS:
        for methods, path, caller, csrf in routes_of(site, program):
            if "POST" not in methods:
                continue
            posts += 1
            check(csrf.startswith("csrf:") and not csrf.startswith("csrf:none"),
                  f"{program}: POST {path} declares no CSRF token ({csrf})")
            r = site.http.request("POST", path, body="username=x&password=y&next=/",
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
            if caller in ("anyone", "anyone,session-looked-up"):
                want = SELF_PROVING_POST_STATUS.get(path, 403)
                check(r.status == want,
                      f"anonymous POST {path} without a token: expected {want}", r)
                check(want == 403 or '"error":"invalid_request"' in r.text,
                      f"anonymous POST {path}: expected invalid_request", r)
            else:
                check(r.status == 303 and (r.location or "").startswith(LOGIN),
                      f"anonymous POST {path} ({caller}): expected 303 to {LOGIN}", r)
            check(r.cookie(COOKIE) is None,
                  f"anonymous POST {path} without a token set a session cookie", r)
            check_security_headers(r, f"anonymous POST {path}")
    check(posts >= 2, f"expected the login and logout POST routes, found {posts}")


@test("routes_foreign_origin_refused")
def routes_foreign_origin_refused(site):
    name, password = site.new_user("origin")
    jar = site.login(name, password)
    token = site.logout_form(jar)
    r = site.http.post_form(LOGOUT, {"csrf": token}, jar=jar,
                            headers={"Origin": "https://evil.example"})
    check(r.status == 403, "POST /auth/logout with a good token from a foreign Origin: "
          "expected 403", r)
    site.assert_session_valid(jar, "the session after a refused cross-origin logout")
    r = site.http.post_form(LOGOUT, {"csrf": token}, jar=jar,
                            headers={"Sec-Fetch-Site": "cross-site"})
    check(r.status == 403, "POST /auth/logout with Sec-Fetch-Site: cross-site: expected 403", r)
    site.assert_session_valid(jar, "the session after a refused cross-site logout")


@test("routes_form_fields_validated")
def routes_form_fields_validated(site):
    name, password = site.new_user("fields")
    for what, extra_name, extra in (("a username of 300 bytes", "u" * 300, {}),
                                    ("a next of 3000 bytes", name, {"next": "/" + "n" * 3000}),
                                    ("a password of 5000 bytes", name, {"password": "p" * 5000})):
        jar = CookieJar()
        r = site.post_login(jar, extra_name, password, extra=extra)
        check(r.status == 400, f"a login with {what}: expected 400", r)
        check('name="username"' in r.text and "csrf" in r.text,
              f"a login with {what}: expected the login form again", r)
        check(r.cookie(COOKIE) is None, f"a login with {what} set a session cookie", r)
    r = site.post_login(CookieJar(), name, password)
    check(r.status == 303, "the same login with fields in bounds: expected 303", r)


@test("routes_every_answer_has_security_headers")
def routes_every_answer_has_security_headers(site):
    for program in PAGE_RESPONDERS:
        routes = routes_of(site, program)
        for methods, path, caller, csrf in routes:
            if "GET" in methods:
                r = site.get(path)
                want = GET_STATUS.get(path, 200)
                check(r.status == want, f"GET {path}: expected {want}", r)
                check_security_headers(r, f"GET {path}")
            # Allow lists the methods of every route of the path.
            allowed = {m for ms, p, _, _ in routes if p == path for m in ms}
            allow = ", ".join(m for m in ("GET", "HEAD", "POST")
                              if m in allowed or (m == "HEAD" and "GET" in allowed))
            r = site.http.request("PUT", path, body="")
            check(r.status == 405, f"PUT {path}: expected 405", r)
            check(r.header("Allow") == allow,
                  f"PUT {path}: Allow should list the table's methods ({allow})", r)
            check_security_headers(r, f"PUT {path}")
    r = site.get(PREFIX + "/login/nowhere")
    check(r.status == 404, f"GET {PREFIX}/login/nowhere: expected 404", r)
    check_security_headers(r, f"GET {PREFIX}/login/nowhere")
    name, password = site.new_user("headers")
    r = site.post_login(CookieJar(), name, password)
    check(r.status == 303, "a good login: expected 303", r)
    check_security_headers(r, "the login's redirect")


@test("routes_check_answers_every_path", servers=("lighttpd",))
def routes_check_answers_every_path(site):
    proc = subprocess.run([str(site.stack.program("gatehouse-check")), "--routes"],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=10)
    check(proc.returncode == 0 and proc.stdout.split()[:2] == ["ANY", "*"],
          f"gatehouse-check --routes: {proc.returncode} {proc.stdout!r} {proc.stderr!r}")
