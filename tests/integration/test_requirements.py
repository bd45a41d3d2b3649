"""Requirements (OWASP ASVS level 2) that held but that no other test would
have caught breaking: the check fails closed when its process is gone, a
request no rule covers is denied end to end, gatehousectl's password and
disable commands end old sessions and its password policy holds, no
password or session token reaches a log, a session token in the URL is
ignored, and plain HTTP gets no session at all unless insecure_cookies
allows it."""

import secrets
import signal
import subprocess
from pathlib import Path

from client import CookieJar
from fixtures import COOKIE, FAST_HASHING, LOGIN, TLS_COOKIE, Site
from harness import check, site_kind, test

# -- 1. The check process stopped ---------------------------------------------


@test("check_stopped_protected_page_is_5xx", kind="own")
def check_stopped_protected_page_is_5xx(site):
    name, password = site.new_user("stopped", roles=["admin"])
    jar = site.login(name, password)
    site.assert_session_valid(jar, "before gatehouse-check stops")
    proc = site.stack.responders["check"]
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        check(False, "gatehouse-check still runs 5 s after SIGTERM")
    # With a valid session, without one, and for an API client: the web
    # server cannot ask the check, so it must fail closed (5xx), never
    # serve the page (200) nor send the browser anywhere (3xx).
    for path in ("/private/", "/admin/", "/cgi-bin/whoami.cgi"):
        for what, j, headers in (("with a session", jar, None),
                                 ("without a session", None, None),
                                 ("as an API client", None, {"Accept": "application/json"})):
            r = site.get(path, jar=CookieJar(**j.cookies) if j else None, headers=headers)
            check(500 <= r.status <= 599,
                  f"gatehouse-check stopped, GET {path} {what}: expected 5xx", r)
            check(name not in r.text and "REMOTE_USER" not in r.text,
                  f"gatehouse-check stopped, GET {path} {what}: the page was served", r)


# -- 2. A request that no [check] rule matches ---------------------------------

# The demo policy without its last rule (path:/* require:login): /private/
# still needs a login, but /cgi-bin/ and any other path match no rule.
PARTIAL_RULES = [
    "path:/ bypass",
    "path:/index.html bypass",
    "path:/public/* bypass",
    "path:/private/* require:login",
    "path:/admin require:role:admin",
    "path:/admin/* require:role:admin",
]


@site_kind("partial_rules")
def partial_rules_site(folder, server):
    return Site(folder, server, "partial_rules",
                settings=dict(FAST_HASHING, check={"rule": PARTIAL_RULES}))


@test("no_matching_rule_denied_403", kind="partial_rules")
def no_matching_rule_denied_403(site):
    name, password = site.new_user("norule", roles=["admin"])
    jar = site.login(name, password)
    # The rules that exist still work: the session is good.
    r = site.get("/private/", jar=jar)
    check(r.status == 200, "GET /private/ (require:login) with a session: expected 200", r)
    for path in ("/cgi-bin/whoami.cgi", "/cgi-bin/whoami.cgi?x=1", "/nowhere.html",
                 "/privatex/"):
        for what, j in (("with a session (role admin)", jar), ("without a session", None)):
            r = site.get(path, jar=CookieJar(**j.cookies) if j else None)
            check(r.status == 403, f"GET {path} matches no rule, {what}: expected 403", r)
            check("REMOTE_USER" not in r.text and "GATEHOUSE_USER" not in r.text,
                  f"GET {path} matches no rule, {what}: the backend ran", r)


# -- 3. gatehousectl and sessions, password policy -----------------------------


@test("ctl_user_passwd_ends_old_sessions")
def ctl_user_passwd_ends_old_sessions(site):
    name, password = site.new_user("passwd")
    jar = site.login(name, password)
    site.assert_session_valid(jar, "before user passwd")
    new_password = password + "-changed"
    proc = site.stack.ctl("user", "passwd", name, "--password-stdin",
                          input=new_password + "\n", check=False)
    check(proc.returncode == 0, f"user passwd: exit {proc.returncode}: {proc.stderr}")
    site.assert_session_refused(jar, "the session from before user passwd")
    r = site.post_login(CookieJar(), name, password)
    check(r.status == 401, "login with the old password after user passwd: expected 401", r)
    site.login(name, new_password)


@test("ctl_user_disable_ends_old_sessions")
def ctl_user_disable_ends_old_sessions(site):
    name, password = site.new_user("disable")
    jar = site.login(name, password)
    site.assert_session_valid(jar, "before user disable")
    proc = site.stack.ctl("user", "disable", name, check=False)
    check(proc.returncode == 0, f"user disable: exit {proc.returncode}: {proc.stderr}")
    site.assert_session_refused(jar, "the session from before user disable")
    r = site.post_login(CookieJar(), name, password)
    check(r.status == 401, "login of a disabled user: expected 401", r)


def breached_password():
    """A password of the breached list long enough to pass the length rule,
    so that only the list can refuse it."""
    path = Path(__file__).resolve().parents[2] / "sql" / "breached-passwords.txt"
    for line in path.read_text().splitlines():
        if line and not line.startswith("#") and len(line) >= 14:
            return line
    raise AssertionError(f"{path} holds no password of 14+ characters")


@test("ctl_user_add_weak_password_exits_5")
def ctl_user_add_weak_password_exits_5(site):
    breached = breached_password()
    # Compared ignoring ASCII case, so the upper-case form is refused too.
    for i, (what, pw) in enumerate((("a password of 11 bytes", "short-pw-11"),
                                    ("a breached password", breached),
                                    ("a breached password in upper case", breached.upper()))):
        name = f"weak{i}"
        proc = site.stack.ctl("user", "add", name, "--password-stdin", input=pw + "\n",
                              check=False)
        check(proc.returncode == 5, f"user add with {what}: expected exit 5, got "
              f"{proc.returncode}: {proc.stdout}{proc.stderr}")
        proc = site.stack.ctl("user", "show", name, check=False)
        check(proc.returncode == 3, f"user add with {what} refused, yet user show exits "
              f"{proc.returncode}: {proc.stdout}")
    # A good password is accepted (the refusals above are the policy's).
    proc = site.stack.ctl("user", "add", "weakcontrol", "--password-stdin",
                          input=secrets.token_urlsafe(18) + "\n", check=False)
    check(proc.returncode == 0, f"user add with a good password: exit {proc.returncode}: "
          f"{proc.stderr}")


# -- 4. Logs hold no secret, and the login lines ------------------------------


@test("logs_hold_no_password_or_token", kind="own")
def logs_hold_no_password_or_token(site):
    secrets_used = {}
    name, password = site.new_user("logged")
    secrets_used["the password"] = password
    jar = site.login(name, password)
    secrets_used["the first session cookie"] = jar.get(COOKIE)
    site.assert_session_valid(jar)
    # A wrong password for a real user, and a password typed in the name
    # field (a name no user has).
    wrong = "wrong-" + password[::-1]
    secrets_used["a wrong password"] = wrong
    r = site.post_login(CookieJar(), name, wrong)
    check(r.status == 401, "login with a wrong password: expected 401", r)
    typed_as_name = "Name-That-Is-A-Password-" + password[:8]
    secrets_used["a password typed as the name"] = typed_as_name
    r = site.post_login(CookieJar(), typed_as_name, password)
    check(r.status == 401, "login with an unknown name: expected 401", r)
    # A password change through gatehousectl, and a login with it.
    new_password = password + "-new"
    secrets_used["the changed password"] = new_password
    site.stack.ctl("user", "passwd", name, "--password-stdin", input=new_password + "\n")
    jar2 = site.login(name, new_password)
    secrets_used["the second session cookie"] = jar2.get(COOKIE)
    token = site.logout_form(jar2)
    r = site.http.post_form("/auth/logout", {"csrf": token}, jar=jar2)
    check(r.status == 200, "logout: expected 200", r)
    # Stopped, so that every log is written out.
    site.close()
    logs = {p.name: p.read_text(errors="replace")
            for p in sorted(site.stack.log_dir.glob("*")) if p.is_file()}
    check(logs, f"no log file in {site.stack.log_dir}")
    for what, value in secrets_used.items():
        check(value and len(value) >= 8, f"{what} is too short to search for: {value!r}")
        for file, text in logs.items():
            check(value not in text, f"{what} appears in {file}")
    everything = "\n".join(logs.values())
    for line in (f"login success for {name} from ",
                 f"login failure for {name} from ",
                 "login failure for unknown name #"):
        check(line in everything, f"no line with {line!r} in the logs "
              f"({', '.join(logs)})")


# -- 6. A session token in the URL ---------------------------------------------


@test("session_token_in_url_ignored")
def session_token_in_url_ignored(site):
    name, password = site.new_user("urltoken")
    jar = site.login(name, password)
    token = jar.get(COOKIE)
    site.assert_session_valid(jar)
    for path in (f"/private/?{COOKIE}={token}",
                 f"/private/?a=1&{COOKIE}={token}",
                 f"/private/?{TLS_COOKIE}={token}",
                 f"/private/?session={token}",
                 f"/private/;{COOKIE}={token}",
                 f"/private/;jsessionid={token}",
                 f"/private/index.html;{COOKIE}={token}?{COOKIE}={token}",
                 f"/cgi-bin/whoami.cgi?{COOKIE}={token}"):
        r = site.get(path)
        check(r.status != 200 and name not in r.text,
              f"GET {path} without a cookie: the token in the URL must give no session", r)
        if r.status == 302:
            check((r.location or "").startswith(LOGIN),
                  f"GET {path}: a redirect should go to the login page", r)
    # The logout page finds no session in its query either.
    r = site.get(f"/auth/logout?{COOKIE}={token}")
    check(r.status == 200 and "not logged in" in r.text,
          "GET /auth/logout?gatehouse=TOKEN without a cookie: expected 'not logged in'", r)
    site.assert_session_valid(jar, "the session itself")


# -- 7. Plain HTTP without insecure_cookies ------------------------------------


@site_kind("https_only")
def https_only_site(folder, server):
    # "tls": the kind that gets a certificate and an HTTPS port.
    return Site(folder, server, "tls", settings={"session": {"insecure_cookies": False}})


@test("plain_http_login_refused_https_required", kind="https_only")
def plain_http_login_refused_https_required(site):
    name, password = site.new_user("plain")
    jar = CookieJar()
    r = site.get(LOGIN, jar=jar)
    check(r.status == 403 and "HTTPS is required" in r.text,
          'GET /auth/login over HTTP: expected 403 "HTTPS is required"', r)
    check(not jar.cookies, "GET /auth/login over HTTP set a cookie", r)
    # Even with a CSRF token and pre-login cookie from the HTTPS page.
    https_jar = CookieJar()
    _, csrf = site.login_form(https_jar, https=True)
    pre = https_jar.get(TLS_COOKIE + "_csrf")
    check(pre, f"the login page over HTTPS set no {TLS_COOKIE}_csrf cookie")
    plain_jar = CookieJar(**{COOKIE + "_csrf": pre, TLS_COOKIE + "_csrf": pre})
    r = site.http.post_form(LOGIN, {"username": name, "password": password, "csrf": csrf},
                            jar=plain_jar)
    check(r.status == 403 and "HTTPS is required" in r.text,
          'POST /auth/login over HTTP: expected 403 "HTTPS is required"', r)
    check(r.cookie(COOKIE) is None and r.cookie(TLS_COOKIE) is None,
          "POST /auth/login over HTTP set a session cookie", r)


@test("plain_http_check_accepts_no_cookie", kind="https_only")
def plain_http_check_accepts_no_cookie(site):
    name, password = site.new_user("plain")
    jar = site.login(name, password, https=True)
    token = jar.get(TLS_COOKIE)
    r = site.get("/private/", jar=CookieJar(**jar.cookies), https=True)
    check(r.status == 200, "GET /private/ over HTTPS with the session: expected 200", r)
    for cookies in ({TLS_COOKIE: token}, {COOKIE: token}, {COOKIE: token, TLS_COOKIE: token}):
        for path in ("/private/", "/cgi-bin/whoami.cgi"):
            r = site.get(path, jar=CookieJar(**cookies))
            check(r.status == 302 and (r.location or "").startswith(LOGIN),
                  f"GET {path} over HTTP with {', '.join(cookies)}=TOKEN: expected 302 to "
                  "the login page", r)
            check(name not in r.text, f"GET {path} over HTTP: the page was served", r)
