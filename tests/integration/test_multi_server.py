"""Several web servers, one database (design §10): two sites on two ports,
each with its own web server and responders, on one MariaDB or PostgreSQL
database.  A session made through one is valid on the other, and a logout
through one is refused by the other's check at once, or, with the check's
session cache on, within the bound the database's feed keeps
(fixtures.Site.revocation_bound; test_session_cache.py measures it).

run.py runs these once per server database (not on SQLite), on the pair
pair.first and pair.second (lighttpd and nginx when both are in the run)."""

from client import CookieJar
from fixtures import COOKIE, LOGOUT
from harness import check, multi_server_test


def whoami(site, jar):
    """The user the backend of site sees for jar's session (whoami.cgi), or
    None when the request is not let through."""
    r = site.get("/cgi-bin/whoami.cgi", jar=CookieJar(**jar.cookies))
    if r.status != 200:
        return None
    env = dict(line.split("=", 1) for line in r.text.splitlines() if "=" in line)
    return env.get("GATEHOUSE_USER")


@multi_server_test("multi_server_login_shared")
def multi_server_login_shared(pair):
    first, second = pair.first, pair.second
    name, password = first.new_user("multi")
    jar = first.login(name, password)
    first.assert_session_valid(jar, f"the session made on {first.label}, there")
    second.assert_session_valid(jar, f"the session made on {first.label}, on {second.label}")
    check(whoami(second, jar) == name,
          f"{second.label}'s backend should see {name} for the session made on {first.label}")
    # And the other way round, with a user made on the second site.
    other, other_pw = second.new_user("multi_b")
    jar2 = second.login(other, other_pw)
    first.assert_session_valid(jar2, f"the session made on {second.label}, on {first.label}")
    check(whoami(first, jar2) == other,
          f"{first.label}'s backend should see {other} for the session made on {second.label}")


@multi_server_test("multi_server_logout_seen_at_once")
def multi_server_logout_seen_at_once(pair):
    first, second = pair.first, pair.second
    name, password = first.new_user("multiout")
    jar = first.login(name, password)
    kept = CookieJar(**{COOKIE: jar.get(COOKIE)})  # the cookie as another tab holds it
    # Both checks have seen the session (and may have touched last_seen_at).
    first.assert_session_valid(jar, f"before the logout, on {first.label}")
    second.assert_session_valid(jar, f"before the logout, on {second.label}")
    token = second.logout_form(jar)
    r = second.http.post_form(LOGOUT, {"csrf": token}, jar=jar)
    check(r.status == 200 and "You have been logged out." in r.text,
          f"POST /auth/logout on {second.label}: expected 200 and the logged-out page", r)
    # No wait between the logout's answer and the next request: refused at
    # once, or within the bound while the session cache may hold it.
    first.assert_session_refused(kept, f"the session logged out on {second.label}, "
                                       f"on {first.label} right after")
    second.assert_session_refused(kept, f"the session logged out on {second.label}, there")
    r = first.get(LOGOUT, jar=CookieJar(**kept.cookies))
    check(r.status == 200 and "You are not logged in." in r.text,
          f"GET /auth/logout on {first.label} with the revoked cookie: "
          "expected 'You are not logged in.'", r)


@multi_server_test("multi_server_lockout_shared")
def multi_server_lockout_shared(pair):
    # The lockout is in the database: refusals through one web server lock
    # the account for the other at once (the default: 5 refusals, 1 min).
    first, second = pair.first, pair.second
    name, password = first.new_user("multilock")
    for _ in range(5):
        r = first.post_login(CookieJar(), name, password + "x")
        check(r.status == 401, f"wrong password on {first.label}: 401", r)
    r = second.post_login(CookieJar(), name, password)
    check(r.status == 401, f"the account locked through {first.label} is locked on "
          f"{second.label} too: the right password gets 401", r)
    second.stack.ctl("user", "unlock", name)
    second.login(name, password)
