"""Sessions: they end after the idle and the absolute timeout, and over
HTTPS the cookie is a __Host- cookie that only HTTPS carries."""

import time

from client import CookieJar
from fixtures import SHORT_ABSOLUTE as ABSOLUTE
from fixtures import SHORT_IDLE as IDLE
from fixtures import TLS_COOKIE
from harness import check, test

# On the short_sessions site last_seen_at is written every second.  Session
# times are whole seconds, hence the margins below.


@test("session_idle_timeout_expires", kind="short_sessions")
def session_idle_timeout_expires(site):
    name, password = site.new_user("idle")
    jar = site.login(name, password)
    site.assert_session_valid(jar, "right after login")
    time.sleep(IDLE + 1.5)  # idle past the timeout, still within the absolute one
    site.assert_session_refused(jar, f"after {IDLE + 1.5} s idle")


@test("session_absolute_timeout_expires", kind="short_sessions")
def session_absolute_timeout_expires(site):
    name, password = site.new_user("absolute")
    jar = site.login(name, password)
    start = time.monotonic()
    # Used every half second, so never idle; it must still end at ABSOLUTE.
    while True:
        elapsed = time.monotonic() - start
        r = site.get("/private/", jar=CookieJar(**jar.cookies))
        if r.status != 200:
            break
        check(elapsed < ABSOLUTE + 2, f"the session is still valid {elapsed:.1f} s after "
              f"login (absolute timeout {ABSOLUTE} s)", r)
        time.sleep(0.5)
    check(r.status == 302, "an expired session: expected 302 to the login page", r)
    check(elapsed >= ABSOLUTE - 1.5, f"the session, in use, ended after only {elapsed:.1f} s "
          f"(idle timeout {IDLE} s, absolute {ABSOLUTE} s)", r)


@test("https_cookie_is_host_prefixed_secure", tls=True)
def https_cookie_is_host_prefixed_secure(site):
    name, password = site.new_user("tls")
    jar = CookieJar()
    form, _ = site.login_form(jar, https=True)
    pre = form.cookie(TLS_COOKIE + "_csrf")
    check(pre is not None and "secure" in pre.attrs,
          f"the login page over HTTPS should set a Secure {TLS_COOKIE}_csrf cookie", form)
    r = site.post_login(jar, name, password, https=True)
    check(r.status == 303, "login over HTTPS: expected 303", r)
    c = r.cookie(TLS_COOKIE)
    check(c is not None and c.value, f"login over HTTPS should set {TLS_COOKIE}", r)
    check(c.attrs.get("path") == "/" and "secure" in c.attrs and "httponly" in c.attrs
          and c.attrs.get("samesite", "").lower() == "lax" and "domain" not in c.attrs,
          f"expected {TLS_COOKIE}=...; Path=/; Secure; HttpOnly; SameSite=Lax, got {c.raw!r}", r)
    check(r.cookie("gatehouse") is None, "over HTTPS no plain gatehouse cookie is set", r)
    r = site.get("/private/", jar=jar, https=True)
    check(r.status == 200, "GET /private/ over HTTPS with the cookie: expected 200", r)
