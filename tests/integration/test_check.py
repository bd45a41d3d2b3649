"""gatehouse-check as the web server's authorizer: who gets through, who is
sent to the login page, and what the backend learns about the user."""

import json
from urllib.parse import parse_qs, urlsplit

from client import CookieJar
from fixtures import LOGIN
from harness import check, test


@test("check_no_cookie_redirects_to_login_with_next")
def check_no_cookie_redirects_to_login_with_next(site):
    r = site.get("/private/page.html?a=1&b=%2F")
    check(r.status == 302, "no session: expected 302", r)
    loc = urlsplit(r.location or "")
    check(loc.path == LOGIN, f"expected a redirect to {LOGIN}, got {r.location!r}", r)
    nxt = parse_qs(loc.query).get("next")
    check(nxt == ["/private/page.html?a=1&b=%2F"],
          f"next should be the requested URI, got {nxt!r} from {r.location!r}", r)
    check("?a=1&b" not in loc.query, "next must be percent-encoded in the Location", r)
    # A public page needs no session.
    r = site.get("/public/")
    check(r.status == 200, "GET /public/ without a session: expected 200", r)


@test("check_api_client_gets_401_json")
def check_api_client_gets_401_json(site):
    # Without a session; a credential refused (test_check_bearer.py has the
    # rest of the Authorization header) is an invalid_token.
    for headers, error in (({"Accept": "application/json"}, "unauthorized"),
                           ({"Authorization": "Bearer not-a-valid-token"}, "invalid_token")):
        r = site.get("/private/", headers=headers)
        check(r.status == 401, f"no session, {headers}: expected 401", r)
        try:
            body = json.loads(r.body)
        except ValueError:
            body = None
        check(body == {"error": error}, f'{headers}: expected the body {{"error":"{error}"}}', r)
        # Apache sends an authorizer's body as its own error text, with its
        # own Content-Type (deploy/README.md); lighttpd passes the check's,
        # and nginx.conf.in writes the same JSON answer itself.
        if site.server in ("lighttpd", "nginx"):
            check((r.header("Content-Type") or "").startswith("application/json"),
                  "expected Content-Type: application/json", r)
    # A browser asking for the same page is redirected instead.
    r = site.get("/private/", headers={"Accept": "text/html"})
    check(r.status == 302, "a browser without a session: expected 302", r)


@test("backend_sees_remote_user")
def backend_sees_remote_user(site):
    r = site.get("/cgi-bin/whoami.cgi")
    check(r.status == 302, "the CGI without a session: expected 302", r)
    name, password = site.new_user("cgi", roles=["admin"])
    jar = site.login(name, password)
    r = site.get("/cgi-bin/whoami.cgi", jar=jar)
    check(r.status == 200, "the CGI with a session: expected 200", r)
    env = dict(line.split("=", 1) for line in r.text.splitlines() if "=" in line)
    # Apache sets REMOTE_USER from the check, and nginx.conf.in passes it
    # from X-Gatehouse-User; lighttpd passes the check's variables,
    # GATEHOUSE_USER among them.
    var = "REMOTE_USER" if site.server in ("apache", "nginx") else "GATEHOUSE_USER"
    check(env.get(var) == name, f"the backend should see {var}={name}", r)
    check(env.get("GATEHOUSE_USER") == name, f"the backend should see GATEHOUSE_USER={name}", r)
    check("admin" in env.get("GATEHOUSE_ROLES", "").split(","),
          "the backend should see the role admin in GATEHOUSE_ROLES", r)


@test("role_rule_denies_user_without_role")
def role_rule_denies_user_without_role(site):
    plain, plain_pw = site.new_user("plain")
    admin, admin_pw = site.new_user("admin", roles=["admin"])
    jar = site.login(plain, plain_pw)
    for path in ("/admin/", "/admin/index.html", "/admin"):
        r = site.get(path, jar=jar)
        check(r.status == 403, f"a user without the role admin: GET {path} expected 403", r)
    r = site.get("/private/", jar=jar)
    check(r.status == 200, "the same user: GET /private/ expected 200", r)
    jar = site.login(admin, admin_pw, jar=CookieJar())
    r = site.get("/admin/", jar=jar)
    check(r.status == 200 and "Admin page" in r.text,
          "a user with the role admin: GET /admin/ expected the admin page", r)
