"""gatehouse-login: failures that all look alike, CSRF, session rotation and
where a successful login sends the browser."""

import hashlib
import hmac
import html
import secrets
import statistics
import time
from urllib.parse import quote, urlsplit

from client import CookieJar, form_field
from fixtures import COOKIE, LOGIN
from harness import check, test

FAILED = "Invalid username or password."


def failed_login(site, name, password):
    """Logs in and expects the one failure answer; returns it."""
    jar = CookieJar()
    r = site.post_login(jar, name, password)
    check(r.status == 401, f"login as {name!r} with a bad password: expected 401", r)
    check(FAILED in r.text, f"expected the message {FAILED!r}", r)
    check(form_field(r.text, "csrf"), "the form should be shown again with a csrf field", r)
    check(r.cookie(COOKIE) is None or r.cookie(COOKIE).deletes,
          "a failed login must not set a session cookie", r)
    site.assert_session_refused(jar, "after a failed login")
    return r


def masked(r, name):
    """The page with its fresh CSRF token and the name the user typed (which
    tells nothing) replaced, so that two failure pages can be compared."""
    text = r.text.replace(form_field(r.text, "csrf"), "CSRF-TOKEN")
    return text.replace(html.escape(name, quote=True), "USERNAME")


def assert_same_page(a, a_name, b, b_name, what):
    """b (a failure for b_name) must be page a (a wrong password for a_name)."""
    check(a.status == b.status, f"{what}: status {b.status}, wrong password {a.status}")
    ma, mb = masked(a, a_name), masked(b, b_name)
    if ma != mb:
        at = next(i for i, (x, y) in enumerate(zip(ma + "\0", mb + "\1")) if x != y)
        check(False, f"{what}: the page differs from the wrong-password page at character "
              f"{at}:\n  wrong password: {ma[max(0, at - 60):at + 60]!r}\n"
              f"  {what}: {mb[max(0, at - 60):at + 60]!r}")


@test("login_wrong_password_401")
def login_wrong_password_401(site):
    name, password = site.new_user("wrongpw")
    failed_login(site, name, password + "x")
    site.login(name, password)  # the right password still works


@test("login_unknown_user_401")
def login_unknown_user_401(site):
    name, password = site.new_user("known")
    wrong = failed_login(site, name, password + "x")
    unknown = failed_login(site, "nosuchuser", password)
    assert_same_page(wrong, name, unknown, "nosuchuser", "unknown user")


@test("login_disabled_user_401")
def login_disabled_user_401(site):
    name, password = site.new_user("known")
    wrong = failed_login(site, name, password + "x")
    off, off_pw = site.new_user("disabled", disabled=True)
    disabled = failed_login(site, off, off_pw)  # the right password
    assert_same_page(wrong, name, disabled, off, "disabled user")


@test("login_failures_take_the_same_time", kind="timing")
def login_failures_take_the_same_time(site):
    # With the default argon2 cost a hash takes tens of milliseconds, far
    # more than the HTTP round trip: an unknown user answered without the
    # dummy hash would be several times faster.  Tries are interleaved and
    # compared by median so that a noisy machine does not fail the test.
    name, password = site.new_user("timed")
    off, off_pw = site.new_user("timedoff", disabled=True)
    cases = {"wrong password": (name, password + "x"),
             "unknown user": ("nosuchtimeduser", password),
             "disabled user": (off, off_pw)}
    times = {case: [] for case in cases}
    for attempt in range(6):
        for case, (user, pw) in cases.items():
            r = site.post_login(CookieJar(), user, pw)
            check(r.status == 401, f"{case}: expected 401", r)
            if attempt > 0:  # the first round warms up
                times[case].append(r.elapsed)
    base = statistics.median(times["wrong password"])
    for case in ("unknown user", "disabled user"):
        ratio = statistics.median(times[case]) / base
        check(0.5 <= ratio <= 2.0,
              f"{case}: median {statistics.median(times[case]) * 1000:.1f} ms against "
              f"{base * 1000:.1f} ms for a wrong password (ratio {ratio:.2f}, "
              "allowed 0.5 to 2)")


def log_text(site):
    """Everything in the site's log folder (responders' and web server's)."""
    return "\n".join(p.read_text(errors="replace") for p in sorted(site.stack.log_dir.glob("*"))
                     if p.is_file())


@test("login_unknown_name_logged_as_tag")
def login_unknown_name_logged_as_tag(site):
    # People type passwords into the name field: a name no user has is
    # logged as 8 hex digits of HMAC-SHA-256(secret, "log-name|" name),
    # never as typed (gatehouse-login(8) LOG).  One name looks like a valid
    # user name (the old code logged those verbatim), one does not.
    name, password = site.new_user("logtag")
    typed = ["Tr0ub4dor3" + secrets.token_hex(4), f"correct horse {secrets.token_hex(4)} staple"]
    for t in typed:
        failed_login(site, t, password)
    failed_login(site, name, password + "x")
    secret = site.stack.secret_path.read_text().splitlines()[0].encode()
    tags = [hmac.new(secret, b"log-name|" + t.encode(), hashlib.sha256).hexdigest()[:8]
            for t in typed]
    want = [f"login failure for unknown name #{tag} from" for tag in tags]
    want.append(f"login failure for {name} from")
    deadline = time.monotonic() + 5  # the web server may write its log a moment later
    while True:
        text = log_text(site)
        if all(w in text for w in want) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    for t in typed:
        check(t not in text, f"the log holds the name typed, {t!r}")
    for w in want:
        check(w in text, f"the log should hold {w!r}; its last lines:\n" +
              "\n".join(text.splitlines()[-10:]))
    # The reason, kept server-side: the page was the same for all three.
    reasons = {f"#{tags[0]} from": "(unknown_user)", f"for {name} from": "(wrong_password)"}
    for what, reason in reasons.items():
        lines = [line for line in text.splitlines() if what in line]
        check(lines and all(reason in line for line in lines),
              f"the log lines with {what!r} should end in {reason}: {lines}")


@test("login_redirects_back_to_next")
def login_redirects_back_to_next(site):
    name, password = site.new_user("roundtrip")
    jar = CookieJar()
    r = site.get("/private/?from=test", jar=jar)
    check(r.status == 302, "no session: expected 302 to the login page", r)
    login_page = r.location
    r = site.get(login_page, jar=jar)
    check(r.status == 200, f"GET {login_page}: expected the login form", r)
    nxt = form_field(r.text, "next")
    check(nxt == "/private/?from=test",
          f"the form's next should be the page asked for, got {nxt!r}", r)
    r = site.http.post_form(LOGIN, {"username": name, "password": password,
                                    "csrf": form_field(r.text, "csrf"), "next": nxt}, jar=jar)
    check(r.status == 303, "login: expected 303", r)
    loc = urlsplit(r.location or "")
    check(loc.netloc in ("", f"127.0.0.1:{site.stack.port}") and
          (loc.path, loc.query) == ("/private/", "from=test"),
          f"login should send the browser back to /private/?from=test, not {r.location!r}", r)
    r = site.get("/private/?from=test", jar=jar)
    check(r.status == 200 and "Private page" in r.text, "after login: expected the private page", r)


@test("login_rotates_session_id")
def login_rotates_session_id(site):
    name, password = site.new_user("rotate")
    # A session id planted before login (fixation) is not the one given.
    planted = "A" * 43
    jar = CookieJar(**{COOKIE: planted})
    r = site.post_login(jar, name, password)
    check(r.status == 303, "login with a planted cookie: expected 303", r)
    first = jar.get(COOKIE)
    check(first and first != planted, "login kept the planted session id", r)
    site.assert_session_valid(jar, "the first session")
    # Logging in again with a valid session: a new id, the old one revoked.
    r = site.post_login(jar, name, password)
    check(r.status == 303, "second login: expected 303", r)
    second = jar.get(COOKIE)
    check(second and second != first, "a second login kept the session id", r)
    site.assert_session_valid(jar, "the second session")
    site.assert_session_refused(CookieJar(**{COOKIE: first}),
                                "the session sent with the second login")


@test("login_csrf_missing_403")
def login_csrf_missing_403(site):
    name, password = site.new_user("csrfmiss")
    jar = CookieJar()
    site.login_form(jar)
    r = site.http.post_form(LOGIN, {"username": name, "password": password}, jar=jar)
    check(r.status == 403, "login without a csrf field: expected 403", r)
    check(r.cookie(COOKIE) is None, "a refused login must not set a session cookie", r)
    site.assert_session_refused(jar, "after a login without csrf")
    # Nor with the token but without the pre-login cookie it is bound to.
    _, token = site.login_form(CookieJar())
    r = site.http.post_form(LOGIN, {"username": name, "password": password, "csrf": token},
                            jar=CookieJar())
    check(r.status == 403, "login with a token but no pre-login cookie: expected 403", r)
    check(r.cookie(COOKIE) is None, "a refused login must not set a session cookie", r)


@test("login_csrf_wrong_403")
def login_csrf_wrong_403(site):
    name, password = site.new_user("csrfwrong")
    jar = CookieJar()
    r = site.post_login(jar, name, password, csrf="x" * 43)
    check(r.status == 403, "login with a made-up csrf token: expected 403", r)
    check(r.cookie(COOKIE) is None, "a refused login must not set a session cookie", r)
    site.assert_session_refused(jar, "after a login with a wrong token")
    # A real token, but bound to another client's pre-login cookie.
    _, other = site.login_form(CookieJar())
    r = site.post_login(jar, name, password, csrf=other)
    check(r.status == 403, "login with another client's csrf token: expected 403", r)
    check(r.cookie(COOKIE) is None, "a refused login must not set a session cookie", r)
    # A cross-site form (the browser says so in Origin) with a good token.
    _, token = site.login_form(jar)
    r = site.http.post_form(LOGIN, {"username": name, "password": password, "csrf": token},
                            jar=jar, headers={"Origin": "https://evil.example"})
    check(r.status == 403, "login from a cross-site Origin: expected 403", r)
    site.assert_session_refused(jar, "after the refused logins")


EVIL_NEXTS = ("//evil.example", "//evil.example/private/", "https://evil.example",
              "http://evil.example/", "javascript:alert(1)", "/%0d%0aSet-Cookie:x=y",
              "/\r\nSet-Cookie:x=y", "/\\evil.example", "\\\\evil.example",
              "/\t/evil.example", " //evil.example")


def assert_safe_location(site, loc, what, r):
    check(loc is not None, f"{what}: no Location", r)
    check("\r" not in loc and "\n" not in loc, f"{what}: CR/LF in Location {loc!r}", r)
    parts = urlsplit(loc)
    check(parts.scheme in ("", "http", "https") and
          parts.netloc in ("", f"127.0.0.1:{site.stack.port}"),
          f"{what}: Location {loc!r} leaves the site", r)
    path = loc if not parts.netloc else parts.path
    check(path.startswith("/") and not path.startswith("//") and "\\" not in path[:2],
          f"{what}: Location {loc!r} is not a safe local path", r)


@test("next_open_redirect_refused")
def next_open_redirect_refused(site):
    name, password = site.new_user("nextuser")
    for evil in EVIL_NEXTS:
        # The form keeps only a safe next.  (lighttpd itself answers 400 to
        # a URL with an encoded control character; that is fine too.)
        form = site.get(LOGIN + "?next=" + quote(evil, safe=""))
        allowed = (200, 400) if any(ord(ch) < 32 for ch in evil) else (200,)
        check(form.status in allowed, f"GET the form with next={evil!r}: expected 200", form)
        shown = form_field(form.text, "next") if form.status == 200 else None
        check(not shown or (shown.startswith("/") and not shown.startswith("//")
                            and "\\" not in shown and "\n" not in shown),
              f"next={evil!r}: the form carries an unsafe next {shown!r}", form)
        # The login itself, with next in the form.
        r = site.post_login(CookieJar(), name, password, next=evil)
        check(r.status == 303, f"login with next={evil!r}: expected 303", r)
        assert_safe_location(site, r.location, f"next={evil!r}", r)
        check(r.cookie("x") is None, f"next={evil!r}: a header was injected", r)
