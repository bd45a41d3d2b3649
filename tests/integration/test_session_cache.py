"""The check's session cache (design §6, issue 11), on MariaDB and PostgreSQL.

A check whose session is in its process's cache does not ask the database;
the database tells every check process what changed (triggers of migration
0003: a NOTIFY on PostgreSQL, a table polled every [check]
cache_poll_interval on MariaDB), and an entry is trusted [check]
cache_max_age at most.  What these tests hold it to:

- a change that ends a session (a logout through the other site, gatehousectl
  session revoke, a new password, other roles, the account disabled) is
  refused by the other site's check within the bound (fixtures.Site.
  revocation_bound: 1 s on PostgreSQL, the poll interval and 1 s on MariaDB);
  the delays, ROUNDS of each kind, are printed and written to
  $GATEHOUSE_ARTIFACTS/session_cache_delays.txt (artifacts/ of the source
  tree without it);
- the cache is used (a session revoked in the database behind the triggers'
  back is still granted) and cache_max_age bounds it; with a healthy feed
  every lookup of a cached session is a hit until then, and a check that
  read one as revoked does not grant it again;
- on SQLite there is no cache at all, and cache = off on a server database
  reads the database on every check.

The faults (the feed lost, kept down, cut off silently, the server
restarted) are test_session_cache_faults.py's; the random walk on two sites
test_session_cache_walk.py's.  The pair tests run on a pair of sites of kind
"cache" or "cache_max_age" (fixtures.py; cache = on whatever
GATEHOUSE_TEST_CHECK_CACHE says, so that the sanitizer tier runs them too),
on each server database (harness.multi_server_test).
"""

import os
import sqlite3
import statistics
import threading
import time
from pathlib import Path

import fixtures
from client import CookieJar
from fixtures import CACHE_MAX_AGE, COOKIE, LOGIN, LOGOUT
from harness import check, multi_server_test, test
from cache_support import (CheckLog, DELAYS_FILE, MAX_AGE_SLACK, ON_LINE, ROUNDS, revoke_behind_triggers, session_id, wait_cache_on, warm)


# -- Delays --------------------------------------------------------------------

_delays_written = False


def percentile(values, p):
    """The nearest-rank p-th percentile of values."""
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * p // 100) - 1)]


def report_delays(pair, what, delays, bound):
    """Prints the distribution of delays (seconds) and appends it to the
    artifacts' DELAYS_FILE (made anew by the run's first report)."""
    global _delays_written
    ms = [d * 1000 for d in delays]
    database = pair.first.stack.database.kind
    line = (f"{database} {pair.first.server}+{pair.second.server} {what}: {len(ms)} rounds, "
            f"ms min {min(ms):.1f} median {statistics.median(ms):.1f} "
            f"p90 {percentile(ms, 90):.1f} max {max(ms):.1f} (bound {bound * 1000:.0f})")
    print(f"# {line}", flush=True)
    folder = Path(os.environ.get("GATEHOUSE_ARTIFACTS") or fixtures.stack.SRC_DIR / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / DELAYS_FILE, "a" if _delays_written else "w") as f:
        if not _delays_written:
            f.write("# Session cache: ms from the end of a change that ends a session to the\n"
                    "# first refusal by the other site's check (tests/integration/"
                    "test_session_cache.py)\n")
        f.write(f"{line}\n    {' '.join(f'{v:.1f}' for v in ms)}\n")
    _delays_written = True



# -- a. A change on one site, seen by the other's check -------------------------


def change_logout(pair, name, password, jar):
    first = pair.first
    r = first.http.post_form(LOGOUT, {"csrf": first.logout_form(jar)}, jar=jar)
    check(r.status == 200 and "You have been logged out." in r.text,
          f"POST /auth/logout on {first.label}: expected the logged-out page", r)


def change_revoke(pair, name, password, jar):
    listed = pair.first.stack.ctl("session", "list", name).stdout.split()
    sid = session_id(jar)
    check(listed[:1] == [sid], f"session list {name}: expected the one session {sid}, got "
          f"{listed[:1]} (the id is the SHA-256 of the cookie's token)")
    pair.first.stack.ctl("session", "revoke", sid)


def change_password(pair, name, password, jar):
    pair.first.stack.ctl("user", "passwd", name, "--password-stdin",
                         input=password + "-new\n")


def change_roles(pair, name, password, jar):
    pair.first.stack.ctl("user", "roles", name, "admin")


def change_disable(pair, name, password, jar):
    pair.first.stack.ctl("user", "disable", name)


CHANGES = (
    ("logout", "a logout through the first site", change_logout),
    ("ctl_revoke", "gatehousectl session revoke", change_revoke),
    ("password_change", "gatehousectl user passwd", change_password),
    ("role_change", "gatehousectl user roles", change_roles),
    ("disabled", "gatehousectl user disable", change_disable),
)


def change_seen_within_bound(pair, key, what, change):
    first, second = pair.first, pair.second
    bound, why = second.revocation_bound()
    check(bound > 0, f"the cache pair has no session cache: {why}")
    for site in (first, second):
        wait_cache_on(site)
    delays = []
    for n in range(ROUNDS):
        name, password = first.new_user("cache" + key.replace("_", "")[:6])
        jar = first.login(name, password)
        kept = CookieJar(**{COOKIE: jar.get(COOKIE)})
        # Both checks read it (and so keep it in their caches).
        for site in (first, second, second):
            site.assert_session_valid(kept, f"round {n + 1}, before {what}, on {site.label}")
        change(pair, name, password, jar)
        _, delay = second.assert_session_refused(
            kept, f"round {n + 1}: the session ended by {what}, on {second.label}")
        delays.append(delay)
        first.assert_session_refused(kept, f"round {n + 1}: the session ended by {what}, on "
                                           f"{first.label}")
    report_delays(pair, key, delays, bound)


for _key, _what, _change in CHANGES:
    multi_server_test(f"session_cache_{_key}_refused_within_bound", kind="cache")(
        lambda pair, key=_key, what=_what, change=_change:
        change_seen_within_bound(pair, key, what, change))



# -- b. The cache is used, and cache_max_age bounds it -----------------------


@multi_server_test("session_cache_hit_until_max_age", kind="cache_max_age")
def session_cache_hit_until_max_age(pair):
    sites = (pair.first, pair.second)
    for site in sites:
        wait_cache_on(site)
    name, password = pair.first.new_user("maxage")
    jar = pair.first.login(name, password)
    read = {}  # site -> (before, after) its first read from the database
    for site in sites:
        before = time.monotonic()
        site.assert_session_valid(jar, f"the session, read by {site.label}")
        read[site] = (before, time.monotonic())
        site.assert_session_valid(jar, f"the session, read again by {site.label}")
    revoke_behind_triggers(pair.first, session_id(jar))
    answers = {site: [] for site in sites}  # site -> [(sent, status)]
    deadline = max(after for _, after in read.values()) + CACHE_MAX_AGE + MAX_AGE_SLACK + 1.0
    while time.monotonic() < deadline:
        for site in sites:
            sent = time.monotonic()
            r = site.get("/private/", jar=CookieJar(**jar.cookies))
            check(r.status == 200 or (r.status == 302 and (r.location or "").startswith(LOGIN)),
                  f"{site.label}: a session revoked in the database: expected 200 from the "
                  "cache or 302 to the login page", r)
            answers[site].append((sent, r.status))
        time.sleep(0.05)
    for site in sites:
        before, after = read[site]
        got = answers[site]
        first_sent, first_status = got[0]
        check(first_status == 200, f"{site.label}: the session revoked in the database behind "
              f"the triggers' back, {first_sent - after:.2f} s after the check read it: "
              "expected 200 from the check's session cache (a check that asks the database "
              "refuses)")
        late = [(round(s - after, 2), st) for s, st in got
                if st == 200 and s > after + CACHE_MAX_AGE + MAX_AGE_SLACK]
        check(not late, f"{site.label}: granted from the cache past cache_max_age "
              f"({CACHE_MAX_AGE} s) after it read the session (s after the read, status): "
              f"{late[:5]}")
        refused = [s for s, st in got if st != 200]
        check(refused, f"{site.label}: the revoked session was still granted "
              f"{got[-1][0] - after:.2f} s after the check read it (cache_max_age "
              f"{CACHE_MAX_AGE} s)")
        granted = [s for s, st in got if st == 200]
        print(f"# {site.stack.database.kind} {site.server}: cache hits until "
              f"{granted[-1] - before:.2f} s after the read, the first refusal at "
              f"{refused[0] - before:.2f} s (cache_max_age {CACHE_MAX_AGE} s)", flush=True)


STEADY_SESSIONS = 8  # sessions revoked behind the triggers' back, held in the caches
STEADY_THREADS = 4   # asking for them at once, as fast as the checks answer
STEADY_MARGIN = 0.5  # seconds before cache_max_age the asking stops


@multi_server_test("session_cache_hits_steady_until_max_age", kind="cache_max_age")
def session_cache_hits_steady_until_max_age(pair):
    # With a healthy feed, an entry answers every lookup until cache_max_age:
    # sessions revoked behind the triggers' back are granted by every check
    # until then, and a check that once refused one (it read the database)
    # does not grant it again.
    sites = (pair.first, pair.second)
    for site in sites:
        wait_cache_on(site)
    name, password = pair.first.new_user("steady")
    jars = [pair.first.login(name, password) for _ in range(STEADY_SESSIONS)]
    start = time.monotonic()
    for jar in jars:
        warm(sites, jar, "a session")
    revoke_behind_triggers(pair.first, [session_id(jar) for jar in jars])
    deadline = start + CACHE_MAX_AGE - STEADY_MARGIN
    answers = []  # (s after the first read, site, session, status)
    lock = threading.Lock()

    def ask(index):
        n = index
        while time.monotonic() < deadline:
            site, i = sites[n % 2], (n // 2) % len(jars)
            n += STEADY_THREADS
            sent = time.monotonic()
            status = site.get("/private/", jar=CookieJar(**jars[i].cookies)).status
            with lock:
                answers.append((sent - start, site, i, status))

    threads = [threading.Thread(target=ask, args=(k,), daemon=True)
               for k in range(STEADY_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(CACHE_MAX_AGE + 30)
    for site in sites:
        mine = sorted((t, i, st) for t, s, i, st in answers if s is site)
        misses = [(round(t, 3), i, st) for t, i, st in mine if st != 200]
        regrants = [(round(t, 3), i) for t, i, st in mine if st == 200 and
                    any(m[1] == i and m[0] < t for m in misses)]
        check(len(mine) > 100, f"{site.label}: only {len(mine)} answers")
        check(not misses, f"{site.label}: {len(misses)} of {len(mine)} lookups of sessions "
              f"held in the cache (read at most {CACHE_MAX_AGE - STEADY_MARGIN:g} s before, "
              f"cache_max_age {CACHE_MAX_AGE} s, the feed healthy) were not answered from it "
              f"(s after the first read, session, status): {misses[:8]}; of those sessions, "
              f"granted again from the cache after the check read them as revoked: "
              f"{regrants[:8]}")
        print(f"# {site.stack.database.kind} {site.server}: {len(mine)} lookups in "
              f"{mine[-1][0] - mine[0][0]:.2f} s, all answered from the cache", flush=True)



# -- No cache where there should be none ---------------------------------------


@test("session_cache_never_on_sqlite", kind="cache", databases=("sqlite",),
      servers=("lighttpd",))
def session_cache_never_on_sqlite(site):
    # cache = on in the site's config: ignored on SQLite.
    name, password = site.new_user("sqlitecache")
    jar = site.login(name, password)
    site.assert_session_valid(jar, "read")
    site.assert_session_valid(jar, "read again")
    db = sqlite3.connect(str(site.stack.db_path), timeout=30)
    try:
        with db:
            n = db.execute("UPDATE sessions SET revoked_at = CAST(strftime('%s', 'now') AS "
                           "INTEGER) WHERE id = ?", (session_id(jar),)).rowcount
    finally:
        db.close()
    check(n == 1, f"revoking the session in the SQLite file: {n} rows")
    site.assert_session_refused(jar, "a session revoked in the SQLite file (no cache on SQLite)")
    lines = CheckLog(site, from_start=True).lines()
    check(not any(ON_LINE in line for line in lines),
          f"the check logged '{ON_LINE}' on SQLite:\n" + "\n".join(lines))


@test("session_cache_off_reads_the_database", kind="cache_off",
      databases=("mariadb", "postgresql"), servers=("lighttpd",))
def session_cache_off_reads_the_database(site):
    bound, why = site.revocation_bound()
    check(bound == 0, f"cache = off, yet a bound of {bound} s ({why})")
    name, password = site.new_user("nocache")
    jar = site.login(name, password)
    site.assert_session_valid(jar, "read")
    site.assert_session_valid(jar, "read again")
    revoke_behind_triggers(site, session_id(jar))
    site.assert_session_refused(jar, "a session revoked behind the triggers' back, cache = off")
    lines = CheckLog(site, from_start=True).lines()
    check(not any(ON_LINE in line for line in lines),
          f"the check logged '{ON_LINE}' with cache = off:\n" + "\n".join(lines))
