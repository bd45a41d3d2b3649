"""The sites the integration tests run against, and what tests do on them.

A test names the kind of site it needs; the runner starts one per kind and
web server (deploy/stack.py, in a temporary folder) and shares it between
the tests of that kind:

- main: default policy, cheap password hashing so that logins are fast;
- timing: the default (expensive) argon2 settings, so that hashing, not
  HTTP, dominates a login's time;
- short_sessions: idle timeout 2 s, absolute timeout 5 s, last_seen_at
  written every second;
- tls: main plus an HTTPS port with a self-signed certificate made here;
- own: a fresh main site for one test alone (one that stops a responder);
- lockout: main with a lockout after 3 refusals, for 3 s (at most 6 s:
  long enough for a loaded machine to see it in force);
- throttle: the default hashing, 3 refusals per client address a minute;
- cache: main with the check's session cache on, whatever
  GATEHOUSE_TEST_CHECK_CACHE says (test_session_cache.py);
- cache_max_age: cache, its entries trusted for CACHE_MAX_AGE seconds;
- cache_off: main with the session cache off, whatever
  GATEHOUSE_TEST_CHECK_CACHE says.

sso_support.py adds "sso_multi" to SETTINGS (main with an HS256 single
sign-on partner, for the multi-server tests of test_sso_attacks.py) and the
kind "sso" with site_kind (its partners' keys are made in each site's
folder); test_sso_interop.py the kind "sso_rs256" (an RS256 signing key);
test_token_interop.py the kind "token_rs256" (an RS256 key, and [token]
audience and access_lifetime set).

The check's session cache (design §6, [check] cache) is on by default on the
server databases.  GATEHOUSE_TEST_CHECK_CACHE=off writes cache = off into
every site's [check] (scripts/test.sh's asan-integration tier: the suite
runs once with the cache, in the integration tier, and once without), =on
writes cache = on; unset, the default stands.  The cache kinds above keep
theirs.  A revoked session may then still be granted for a bounded time
(Site.revocation_bound); assert_session_refused and wait_refused wait that
long at most, and not at all where the bound is 0 (SQLite, cache off).
"""

import os
import re
import secrets
import ssl
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from client import Client, CookieJar, form_field
from harness import check

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy"))
import stack  # noqa: E402  (deploy/stack.py)

FAST_HASHING = {"login": {"argon2_memory_kib": 1024, "argon2_time": 1,
                          "allow_weak_hashing": True}}
# Every test site's clients come from 127.0.0.1: the throttle per client
# address ([throttle] max_failures, default 20 in 5 min) would answer 429
# to the suite's own wrong passwords.  Tests of the throttle set it back.
NO_THROTTLE = {"throttle": {"max_failures": 1000000}}
LOCKOUT_THRESHOLD = 3  # the lockout site's refusals that lock an account
THROTTLE_MAX = 3       # the throttle site's refusals per client address
SHORT_IDLE = 2       # seconds, the short_sessions site's idle timeout
SHORT_ABSOLUTE = 5   # and its absolute timeout
CACHE_MAX_AGE = 3    # seconds, the cache_max_age site's [check] cache_max_age

# GATEHOUSE_TEST_CHECK_CACHE (see above): what every site's [check] says
# of the cache before its kind's settings.
CHECK_CACHE = os.environ.get("GATEHOUSE_TEST_CHECK_CACHE", "")
if CHECK_CACHE not in ("", "on", "off"):
    raise RuntimeError(f"GATEHOUSE_TEST_CHECK_CACHE={CHECK_CACHE!r}: expected on or off")
BASE_SETTINGS = stack.merge_settings(
    NO_THROTTLE, {"check": {"cache": CHECK_CACHE}} if CHECK_CACHE else {})
CACHE_ON = {"check": {"cache": "on"}}

# How long after a change that ends a session (logout, revocation, new
# password, roles, disabled) the check may still grant it from the session
# cache: on PostgreSQL a notification, delivered in milliseconds, within
# CACHE_BOUND_PGSQL; on MariaDB a poll every [check] cache_poll_interval,
# within that and CACHE_BOUND_MARGIN.  No cache (SQLite, cache = off): 0.
CACHE_BOUND_PGSQL = 1.0
CACHE_BOUND_MARGIN = 1.0
CACHE_POLL_DEFAULT = "100ms"

SETTINGS = {
    "main": FAST_HASHING,
    "own": FAST_HASHING,
    "tls": FAST_HASHING,
    "timing": {},
    "lockout": dict(FAST_HASHING, login=dict(
        FAST_HASHING["login"], lockout_threshold=LOCKOUT_THRESHOLD, lockout_base="3s",
        lockout_max="6s")),
    "throttle": {"throttle": {"max_failures": THROTTLE_MAX, "window": "1m"}},
    "short_sessions": dict(FAST_HASHING, session={
        "idle_timeout": f"{SHORT_IDLE}s", "absolute_timeout": f"{SHORT_ABSOLUTE}s",
        "touch_interval": "1s"}),
    "cache": stack.merge_settings(FAST_HASHING, CACHE_ON),
    "cache_max_age": stack.merge_settings(FAST_HASHING, {"check": dict(
        CACHE_ON["check"], cache_max_age=f"{CACHE_MAX_AGE}s")}),
    "cache_off": stack.merge_settings(FAST_HASHING, {"check": {"cache": "off"}}),
}

LOGIN = "/auth/login"
LOGOUT = "/auth/logout"
COOKIE = "gatehouse"              # [session] cookie_name over plain HTTP
TLS_COOKIE = "__Host-gatehouse"   # the same over HTTPS


def config_on(value):
    """Whether a gatehouse.conf boolean (true/yes/on/1, any case) is set."""
    return value is True or str(value).strip().lower() in ("true", "yes", "on", "1")


def duration_ms(value):
    """A [check] cache_poll_interval (milliseconds, or a number with ms, s
    or m) in milliseconds."""
    m = re.fullmatch(r"\s*(\d+)\s*(ms|s|m)?\s*", str(value).lower())
    if not m:
        raise ValueError(f"not a duration in milliseconds: {value!r}")
    return int(m.group(1)) * {None: 1, "ms": 1, "s": 1000, "m": 60000}[m.group(2)]


def revocation_bound(settings, database):
    """(seconds, why) for a site of these gatehouse.conf settings on
    database (None: SQLite, else a DbServer or Database with .kind): how
    long a session ended by a change may still be granted by the check."""
    check_keys = settings.get("check", {})
    if database is None:
        return 0.0, "SQLite, no session cache"
    if not config_on(check_keys.get("cache", "on")):
        return 0.0, "session cache off"
    if database.kind == "postgresql":
        return CACHE_BOUND_PGSQL, "PostgreSQL, session cache on"
    poll = duration_ms(check_keys.get("cache_poll_interval", CACHE_POLL_DEFAULT))
    return (poll / 1000 + CACHE_BOUND_MARGIN,
            f"MariaDB, session cache on, polled every {poll} ms")


def make_certificate(folder):
    """A self-signed certificate for 127.0.0.1 (it is its own CA)."""
    cert, key = Path(folder) / "cert.pem", Path(folder) / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True)
    return stack.Tls(cert, key)


class Site:
    """A started stack plus the helpers the tests share."""

    def __init__(self, state_dir, server, kind, settings=None, **stack_args):
        """settings: gatehouse.conf overrides on top of the kind's (for the
        kinds of harness.site_kind); stack_args go to stack.Stack."""
        self.server = server
        self.kind = kind
        tls = make_certificate(state_dir) if kind == "tls" else None
        self.stack = stack.Stack(Path(state_dir) / "state", server=server, tls=tls,
                                 settings=stack.merge_settings(
                                     stack.merge_settings(BASE_SETTINGS, SETTINGS.get(kind, {})),
                                     settings),
                                 **stack_args)
        self.stack.start()
        self.http = Client(self.stack.port)
        self.https = None
        if tls:
            ctx = ssl.create_default_context(cafile=str(tls.cert))
            self.https = Client(self.stack.tls_port, https=True, ssl_context=ctx)
        self._users = 0
        # user add --role admin needs the role; 4: it exists already.
        proc = self.stack.ctl("role", "add", "admin", "Administrators", check=False)
        check(proc.returncode in (0, 4), f"role add admin: exit {proc.returncode}: "
              f"{proc.stdout}{proc.stderr}")

    def close(self):
        self.stack.stop()

    # -- Users ---------------------------------------------------------------

    def new_user(self, prefix="user", roles=(), disabled=False):
        """Creates a user with a fresh name and a random password; returns
        (name, password)."""
        self._users += 1
        name = f"{prefix}{self._users}"
        password = secrets.token_urlsafe(18)
        args = ["user", "add", name, "--password-stdin"]
        for role in roles:
            args += ["--role", role]
        self.stack.ctl(*args, input=password + "\n")
        if disabled:
            self.stack.ctl("user", "disable", name)
        return name, password

    # -- Pages ---------------------------------------------------------------

    def client(self, https=False):
        check(not https or self.https is not None, "this site has no HTTPS port")
        return self.https if https else self.http

    def login_form(self, jar, next=None, https=False):
        """GETs the login page into jar; returns (response, csrf token)."""
        path = LOGIN if next is None else LOGIN + "?next=" + quote(next, safe="")
        r = self.client(https).get(path, jar=jar)
        check(r.status == 200, f"GET {path}: expected 200", r)
        csrf = form_field(r.text, "csrf")
        check(csrf, "the login form has no csrf field", r)
        return r, csrf

    def post_login(self, jar, name, password, next=None, csrf=None, https=False, extra=None):
        """GETs the form (for its token and pre-login cookie), then POSTs the
        login with next (when given) in the form; returns the POST's answer."""
        _, token = self.login_form(jar, https=https)
        fields = {"username": name, "password": password,
                  "csrf": token if csrf is None else csrf}
        if next is not None:
            fields["next"] = next
        fields.update(extra or {})
        return self.client(https).post_form(LOGIN, fields, jar=jar)

    def login(self, name, password, jar=None, https=False):
        """Logs in; returns the jar holding the session cookie."""
        jar = jar if jar is not None else CookieJar()
        r = self.post_login(jar, name, password, https=https)
        check(r.status == 303, f"login as {name}: expected 303", r)
        check(jar.get(TLS_COOKIE if https else COOKIE), "login set no session cookie", r)
        return jar

    def get(self, path, jar=None, headers=None, https=False):
        return self.client(https).get(path, jar=jar, headers=headers)

    def logout_form(self, jar):
        """GETs the logout confirm page; returns its csrf token."""
        r = self.http.get(LOGOUT, jar=jar)
        check(r.status == 200, "GET /auth/logout with a session: expected 200", r)
        token = form_field(r.text, "csrf")
        check(token, "the logout form has no csrf field", r)
        return token

    def assert_session_valid(self, jar, what="the session"):
        r = self.http.get("/private/", jar=CookieJar(**jar.cookies))
        check(r.status == 200, f"{what}: GET /private/ expected 200", r)

    def revocation_bound(self):
        """(seconds, why): how long a session ended by a change may still be
        granted here (see revocation_bound above)."""
        return revocation_bound(self.stack.settings, self.stack.database)

    def wait_refused(self, send, refused, what, expected, since=None):
        """After a change that ends a session: calls send() (a request,
        returning its Response) again while the answer grants (200), for
        at most revocation_bound() counted from since (time.monotonic(),
        default now), as fast as it answers.  The first answer that does
        not grant must satisfy refused(r), else the test fails with "what:
        expected"; so it does when the session is still granted past the
        bound (with a bound of 0, the first answer must be refused).
        Returns (that answer, seconds from since to its arrival)."""
        since = time.monotonic() if since is None else since
        bound, why = self.revocation_bound()
        # A grant counts against the bound by when its request was sent.
        while True:
            sent = time.monotonic() - since
            r = send()
            elapsed = time.monotonic() - since
            if r.status != 200 or sent > bound:
                break
        if r.status == 200 and bound > 0:
            check(False, f"{what}: {expected}, still granted to a request sent {sent:.3f} s "
                  f"after the change (the bound here: {bound:g} s, {why})", r)
        check(refused(r), f"{what}: {expected}", r)
        return r, elapsed

    def assert_session_refused(self, jar, what="the session", since=None):
        """GET /private/ with jar's cookies must be sent to the login page:
        at once, or within revocation_bound() of since (default now) where
        the session cache may still hold the session.  Returns (the answer,
        seconds from since to it)."""
        return self.wait_refused(
            lambda: self.http.get("/private/", jar=CookieJar(**jar.cookies)),
            lambda r: r.status == 302 and (r.location or "").startswith(LOGIN),
            what, "GET /private/ expected 302 to the login page", since)
