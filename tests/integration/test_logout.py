"""gatehouse-logout: a logout ends the session on the server, not only in
the browser, and only with the session's CSRF token."""

from client import CookieJar
from fixtures import COOKIE, LOGOUT
from harness import check, test


@test("logout_revokes_session_at_check")
def logout_revokes_session_at_check(site):
    name, password = site.new_user("logout")
    jar = site.login(name, password)
    site.assert_session_valid(jar, "before logout")
    stolen = CookieJar(**{COOKIE: jar.get(COOKIE)})  # a copy kept by an attacker
    token = site.logout_form(jar)
    r = site.http.post_form(LOGOUT, {"csrf": token}, jar=jar)
    check(r.status == 200 and "You have been logged out." in r.text,
          "POST /auth/logout with the token: expected 200 and the logged-out page", r)
    cookie = r.cookie(COOKIE)
    check(cookie is not None and cookie.deletes,
          "logout should delete the session cookie (Max-Age=0)", r)
    # The old cookie, replayed by hand, no longer opens anything.
    site.assert_session_refused(stolen, "the session cookie replayed after logout")
    r = site.get(LOGOUT, jar=CookieJar(**stolen.cookies))
    check(r.status == 200 and "You are not logged in." in r.text,
          "GET /auth/logout with the revoked cookie: expected 'You are not logged in.'", r)


@test("logout_csrf_missing_403")
def logout_csrf_missing_403(site):
    name, password = site.new_user("logoutcsrf")
    jar = site.login(name, password)
    site.logout_form(jar)
    for fields, what in (({}, "without a csrf field"), ({"csrf": "x" * 43}, "with a wrong token")):
        r = site.http.post_form(LOGOUT, fields, jar=jar)
        check(r.status == 403, f"POST /auth/logout {what}: expected 403", r)
        check(jar.get(COOKIE), f"POST /auth/logout {what} deleted the cookie", r)
        site.assert_session_valid(jar, f"after a logout {what}")
    # The login form's token (bound to the pre-login cookie) is no logout token.
    other = CookieJar()
    _, login_token = site.login_form(other)
    r = site.http.post_form(LOGOUT, {"csrf": login_token}, jar=jar)
    check(r.status == 403, "POST /auth/logout with another form's token: expected 403", r)
    site.assert_session_valid(jar, "after a logout with another form's token")
