"""Database faults (design §10, issue 3): the database server is stopped
under load and started again, on MariaDB and on PostgreSQL.

- During the outage the check fails closed: a request with a session cookie
  (valid or not) gets 500 or 503 (503 from gatehouse-check; nginx's
  auth_request turns it into 500), never a 200; a request without one is
  sent to the login page as always (that needs no database).  With the
  check's session cache on, a valid session may still be granted from it
  until the cache learns that its feed is gone: within the site's
  revocation bound (fixtures.Site.revocation_bound) after the server is
  down, never later.  No answer is
  a connection reset or a timeout, and no responder dies: the PIDs are the
  same before and after.
- Once the database is back, every responder answers correctly again
  without being restarted: the session made before the outage is valid
  (nothing committed before it is lost), a new login works.  Within SETTLE
  seconds after the database is back a request may still fail closed (a
  worker whose reconnect failed during the outage tries again a second
  after that attempt, DB_RECONNECT_INTERVAL_MS); past SETTLE every request
  is right, on every worker: under the check's load (every worker busy and
  failing during the outage), and on the login responder, whose workers
  sat idle through the outage on connections the old server had closed
  (common/db.c finds that out before the first statement and reconnects
  at once; a burst of concurrent logins reaches them all).  RECOVERY
  bounds the time the tests wait for the first right answers.
- The login responder answers a login during the outage with 503 and its
  "try again later" page, and logs in again once the database is back.

The sites (kinds fault_mariadb and fault_postgresql) are stacks on a
DbServer of their own (deploy/stack.py), the responders under their
least-privilege accounts.  What is checked is the responders' and the
database layer's behaviour, so each database runs under one web server
(SERVER_FOR, nginx for PostgreSQL to see auth_request's 500 too), to keep
the suite's time down.
"""

import http.client
import secrets
import threading
import time

import fixtures
from client import Client, CookieJar
from fixtures import COOKIE, FAST_HASHING
from harness import check, site_kind, test

SERVER_FOR = {"mariadb": "lighttpd", "postgresql": "nginx"}
OUTAGE = 3.0          # seconds the database stays down (after stop() returned)
RECOVERY = 10.0       # seconds after start() returned for a first right answer
SETTLE = 1.5          # seconds after start() returned from which every answer is right
BURST = 8             # concurrent requests, to reach each of the responder's 4 workers
AFTER = 2.0           # seconds of load checked once recovered
LOAD_THREADS = 4
LOAD_PAUSE = 0.01     # seconds between two requests of a load thread
LOAD_LIMIT = 5000     # requests per load thread at most
LOAD_SECONDS = 45.0   # and seconds
CLIENT_TIMEOUT = 8.0  # seconds for one answer (a hung worker shows as a timeout)
TRY_AGAIN = "try again later"


class FaultSite(fixtures.Site):
    """fixtures.Site on a DbServer of its own, which close() also stops."""

    def __init__(self, folder, server, kind, settings=None):
        """settings: gatehouse.conf overrides on top of FAST_HASHING."""
        self.db = fixtures.stack.DbServer(kind, folder / "db")
        self.db.start()
        try:
            super().__init__(folder, server, f"fault_{kind}",
                             settings=fixtures.stack.merge_settings(FAST_HASHING, settings),
                             database=self.db)
        except BaseException:
            self.db.stop()
            raise
        self.db_kind = kind
        self.http = Client(self.stack.port, timeout=CLIENT_TIMEOUT)
        self.db_up_at = None  # when the database last came back from an outage

    def restart_db(self):
        """DbServer.start() after a stop; returns when it did."""
        self.db.start()
        self.db_up_at = time.monotonic()
        return self.db_up_at

    def settle(self):
        """Waits until SETTLE has passed since the database last came back
        (an earlier test's outage): within it a worker may still fail a
        request closed, which a test's "before the outage" must not see."""
        wait = 0 if self.db_up_at is None else self.db_up_at + SETTLE - time.monotonic()
        if wait > 0:
            time.sleep(wait)

    def close(self):
        try:
            super().close()
        finally:
            self.db.stop()

    def pids(self):
        procs = dict(self.stack.responders, web=self.stack.web)
        return {name: p.pid for name, p in procs.items()}

    def assert_all_running(self, before, when):
        dead = self.stack.dead()
        check(not dead, f"{when}: these processes exited: {', '.join(dead)}\n"
              f"{self.stack.logs()}")
        check(self.pids() == before, f"{when}: the processes changed: {before} -> {self.pids()}")


for _kind in SERVER_FOR:
    site_kind(f"fault_{_kind}")(lambda folder, server, kind=_kind: FaultSite(folder, server, kind))


class Load:
    """LOAD_THREADS threads asking for /private/ in turn with the valid
    session, with a made-up session token and with no cookie, a request
    every LOAD_PAUSE at most, until stop() (or LOAD_LIMIT requests each, or
    LOAD_SECONDS).  Every answer is kept as (start, end,
    what, status or the exception's text)."""

    WHAT = ("valid", "bogus", "none")

    def __init__(self, site, jar):
        self.site = site
        self.cookies = {"valid": CookieJar(**{COOKIE: jar.get(COOKIE)}),
                        "bogus": CookieJar(**{COOKIE: secrets.token_urlsafe(32)}),
                        "none": None}
        self.results = []
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True)
                        for i in range(LOAD_THREADS)]

    def _run(self, index):
        n = 0
        end = time.monotonic() + LOAD_SECONDS
        while not self.done.wait(LOAD_PAUSE) and n < LOAD_LIMIT and time.monotonic() < end:
            what = self.WHAT[(index + n) % len(self.WHAT)]
            n += 1
            jar = self.cookies[what]
            start = time.monotonic()
            try:
                r = self.site.http.get("/private/", jar=jar.copy() if jar else None,
                                       headers={"Accept": "text/html"})
                outcome = r.status
            except (OSError, http.client.HTTPException) as e:
                outcome = f"{type(e).__name__}: {e}"
            with self.lock:
                self.results.append((start, time.monotonic(), what, outcome))

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.done.set()
        for t in self.threads:
            t.join(CLIENT_TIMEOUT + 5)
        check(not any(t.is_alive() for t in self.threads), "a load thread did not end")

    def all_right_since(self, since, window):
        """Whether some answers came to requests sent in the last window
        seconds (and after since), all of them right (right_answer)."""
        now = time.monotonic()
        last = self.between(max(since, now - window), now)
        return bool(last) and all(right_answer(what, outcome) for _, _, what, outcome in last)

    def between(self, start, end):
        """The answers to requests sent at start or later and answered by end."""
        with self.lock:
            return [r for r in self.results if r[0] >= start and r[1] <= end]


def right_answer(what, outcome):
    """Whether outcome is right for what when the database is up."""
    if what == "valid":
        return outcome == 200
    return outcome == 302  # to the login page, with or without a database


def describe(results, limit=12):
    return "\n".join(f"  +{s:.2f}s..+{e:.2f}s {what}: {outcome}"
                     for s, e, what, outcome in results[:limit])


def burst(fn, n=BURST):
    """Calls fn(i) for i in range(n) in n threads at once (so that every
    worker of a responder gets some); returns the results in order, an
    exception counting as its text."""
    results = [None] * n

    def run(i):
        try:
            results[i] = fn(i)
        except Exception as e:  # noqa: BLE001 - reported by the caller
            results[i] = f"{type(e).__name__}: {e}"

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(CLIENT_TIMEOUT * 3)
    return results


def logins_everywhere(site, name, password, jar_before, when):
    """BURST concurrent logins, then BURST concurrent checks of each new
    session and of jar_before: every one must be right at once."""
    def login(i):
        jar = CookieJar()
        r = site.post_login(jar, name, password)
        if r.status == 303 and jar.get(COOKIE):
            return jar
        return f"{r.status}{' try again later' if TRY_AGAIN in r.text else ''}"

    jars = burst(login)
    bad = [(i, j) for i, j in enumerate(jars) if not isinstance(j, CookieJar)]
    check(not bad, f"{when}: {len(bad)} of {BURST} concurrent logins failed: {bad}\n"
          f"{site.stack.logs()}")

    def probe(i):
        jar = jars[i // 2] if i % 2 == 0 else jar_before
        return site.http.get("/private/", jar=CookieJar(**jar.cookies)).status

    statuses = burst(probe, 2 * BURST)
    check(all(s == 200 for s in statuses), f"{when}: concurrent checks of the new sessions "
          f"(even) and of the one made before the outage (odd): {statuses}\n"
          f"{site.stack.logs()}")


def wait_until(deadline, probe, pause=0.2):
    """Calls probe() until it returns true or deadline (monotonic) passes;
    returns the time it first did, or None."""
    while True:
        if probe():
            return time.monotonic()
        if time.monotonic() > deadline:
            return None
        time.sleep(pause)


def db_fault_check(site):
    site.settle()
    before = site.pids()
    name, password = site.new_user("fault")
    jar = site.login(name, password)
    site.assert_session_valid(jar, "the session made before the outage")

    load = Load(site, jar).start()
    t0 = time.monotonic()
    try:
        time.sleep(1.0)  # load with the database up
        t_stop = time.monotonic()
        site.db.stop()
        t_down = time.monotonic()
        check(not site.db.is_running(), f"{site.db_kind} still answers after DbServer.stop()")
        time.sleep(OUTAGE)
        t_start = time.monotonic()
        t_up = site.restart_db()
        # Recovered: a full round of right answers on fresh requests.
        recovered = wait_until(t_up + RECOVERY, lambda: load.all_right_since(t_up, 0.5),
                               pause=0.25)
        time.sleep(AFTER)
        t_end = time.monotonic()
    finally:
        load.stop()

    rel = [(s - t0, e - t0, what, outcome) for s, e, what, outcome in load.results]
    errors = [r for r in rel if not isinstance(r[3], int)]
    check(not errors, f"{len(errors)} request(s) got no HTTP answer (reset, timeout):\n"
          f"{describe(errors)}\n(database stopped at +{t_stop - t0:.2f}s, down at "
          f"+{t_down - t0:.2f}s, started at +{t_start - t0:.2f}s, up at +{t_up - t0:.2f}s)")
    wrong_grant = [r for r in rel if r[3] == 200 and r[2] != "valid"]
    check(not wrong_grant, f"a request without a valid session was let through:\n"
          f"{describe(wrong_grant)}")
    # At any time, also while the server stops and starts: the right answer
    # or a closed failure (500/503), and no cookie needs no database.
    odd = [r for r in rel if not right_answer(r[2], r[3]) and
           (r[2] == "none" or r[3] not in (500, 503))]
    check(not odd, f"{len(odd)} answer(s) neither right nor 500/503:\n{describe(odd)}")

    up_before = load.between(t0, t_stop)
    bad = [r for r in up_before if not right_answer(r[2], r[3])]
    check(up_before and not bad, f"before the outage, {len(bad)} of {len(up_before)} answers "
          f"were wrong:\n{describe([(s - t0, e - t0, w, o) for s, e, w, o in bad])}")

    # The session cache (when on) may grant the valid session until it
    # learns that its feed died with the server: within the bound.
    bound, _ = site.revocation_bound()
    down = load.between(t_down + bound, t_start)
    by_cookie = [r for r in down if r[2] != "none"]
    check(len(by_cookie) >= 5, f"only {len(by_cookie)} checks with a cookie during the "
          f"{t_start - t_down - bound:.1f} s of the outage past the bound of {bound:g} s: "
          "the load is too thin to tell")
    bad = [r for r in by_cookie if r[3] not in (500, 503)]
    check(not bad, f"during the outage {len(bad)} of {len(by_cookie)} checks with a cookie "
          f"did not fail closed with 500/503:\n"
          f"{describe([(s - t0, e - t0, w, o) for s, e, w, o in bad])}")
    bad = [r for r in down if r[2] == "none" and r[3] != 302]
    check(not bad, "during the outage a request without a cookie was not sent to the login "
          f"page:\n{describe([(s - t0, e - t0, w, o) for s, e, w, o in bad])}")

    check(recovered is not None, f"the check did not answer rightly again within "
          f"{RECOVERY:.0f} s after {site.db_kind} was back; answers since:\n"
          f"{describe([(s - t0, e - t0, w, o) for s, e, w, o in load.between(t_up, t_end)][-12:])}"
          f"\n{site.stack.logs()}")
    for since, what in ((recovered, f"after the recovery (at +{recovered - t0:.2f}s, "
                                    f"{recovered - t_up:.2f} s after the restart)"),
                        (t_up + SETTLE, f"from {SETTLE} s after the restart on")):
        after = load.between(since, t_end)
        bad = [r for r in after if not right_answer(r[2], r[3])]
        check(after and not bad, f"{len(bad)} of {len(after)} answers {what} were wrong:\n"
              f"{describe([(s - t0, e - t0, w, o) for s, e, w, o in bad])}\n"
              f"{site.stack.logs()}")

    # Nothing committed before the outage is lost; logins work at once on
    # every worker of the login responder, which sat idle through the
    # outage; the same processes serve.
    site.assert_session_valid(jar, "the session made before the outage, after it")
    logins_everywhere(site, name, password, jar, "after the outage, on an idle responder")
    site.assert_all_running(before, "after the outage")
    print(f"# {site.db_kind}: {len(load.results)} checks; outage "
          f"{t_start - t_down:.1f} s; right again {recovered - t_up:.2f} s after the restart",
          flush=True)


def db_fault_login(site):
    site.settle()
    before = site.pids()
    name, password = site.new_user("faultlogin")
    jar_before = site.login(name, password)
    site.assert_session_valid(jar_before, "the session made before the outage")
    t0 = time.monotonic()
    site.db.stop()
    t_down = time.monotonic()
    check(not site.db.is_running(), f"{site.db_kind} still answers after DbServer.stop()")
    # The session cache (when on) may grant the session made before until
    # it learns that its feed died with the server: within the bound.
    bound, why = site.revocation_bound()
    try:
        # The form needs no database; a login does.
        for i in range(3):
            jar = CookieJar()
            r = site.post_login(jar, name, password)
            check(r.status == 503, f"login {i + 1} with the database down: expected 503", r)
            check(TRY_AGAIN in r.text, f"login with the database down: expected the "
                  f"'{TRY_AGAIN}' page", r)
            check(jar.get(COOKIE) is None, "a login with the database down set a session "
                  "cookie", r)
            sent = time.monotonic()
            r = site.get("/private/", jar=jar_before.copy())
            check(r.status in (500, 503) or (r.status == 200 and sent < t_down + bound),
                  f"the check with the database down: expected 500 or 503 (or 200 within "
                  f"{bound:g} s of the outage, {why}; this one {sent - t_down:.2f} s)", r)
        wait = OUTAGE - (time.monotonic() - t0)
        if wait > 0:
            time.sleep(wait)
    finally:
        t_up = site.restart_db()

    # Until t_up + SETTLE a login may still get the 503 page and a check
    # 500/503, nothing else; from then on every request is right.
    first_ok = None
    late = []  # failures of requests sent past t_up + SETTLE: (when, what, status)

    def fails_closed(sent, r, what, ok_status):
        if r.status == ok_status:
            return False
        if what == "login":
            check(r.status == 503 and TRY_AGAIN in r.text, "a login while the database comes "
                  f"back: expected 303, or 503 with the '{TRY_AGAIN}' page", r)
        else:
            check(r.status in (500, 503), f"a check ({what}) while the database comes back: "
                  "expected 200, or 500/503", r)
        if sent >= t_up + SETTLE:
            late.append((round(sent - t_up, 2), what, r.status))
        return True

    while time.monotonic() < t_up + SETTLE + AFTER:
        jar = CookieJar()
        sent = time.monotonic()
        if not fails_closed(sent, site.post_login(jar, name, password), "login", 303):
            if first_ok is None:
                first_ok = time.monotonic()
            sent = time.monotonic()
            fails_closed(sent, site.get("/private/", jar=jar.copy()), "new session", 200)
        sent = time.monotonic()
        fails_closed(sent, site.get("/private/", jar=jar_before.copy()), "old session", 200)
        time.sleep(0.2)
    check(first_ok is not None, f"no login worked within {SETTLE + AFTER:.1f} s after "
          f"{site.db_kind} was back\n{site.stack.logs()}")
    check(not late, f"{len(late)} request(s) sent {SETTLE} s or more after {site.db_kind} was "
          f"back failed (s after the restart, what, status): {late}\n{site.stack.logs()}")

    # And at once on every worker, the login responder's and the check's.
    logins_everywhere(site, name, password, jar_before, "after the outage")
    site.assert_all_running(before, "after the outage")
    print(f"# {site.db_kind}: first login {first_ok - t_up:.2f} s after the restart", flush=True)


for _kind, _server in SERVER_FOR.items():
    test(f"db_fault_check_fails_closed_and_recovers_{_kind}", kind=f"fault_{_kind}",
         servers=(_server,))(db_fault_check)
    test(f"db_fault_login_503_then_recovers_{_kind}", kind=f"fault_{_kind}",
         servers=(_server,))(db_fault_login)
