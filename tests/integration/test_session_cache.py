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
- when its feed's connection is killed (the PostgreSQL listener terminated:
  the cache goes off, and on again once the listener is back; the MariaDB
  poller's connection killed: it reconnects and reads on from the table),
  kept down (the check's account NOLOGIN, or its SELECT on
  cache_revocations revoked: the cache is off, every check reads the
  database) or lost with a server restarted under load, nothing is granted
  from the stale cache past the bound, and the cache comes back by itself
  ("session cache: on" in the check's log) and is used again;
- a random walk of logins, logouts, revocations, role and password changes
  and checks on either site never grants a session past the bound after its
  end, and always grants a live one (with what it granted at login);
- on SQLite there is no cache at all, and cache = off on a server database
  reads the database on every check.

The pair tests run on a pair of sites of kind "cache" or "cache_max_age"
(fixtures.py; cache = on whatever GATEHOUSE_TEST_CHECK_CACHE says, so that
the sanitizer tier runs them too), on each server database
(harness.multi_server_test); the restart runs on a site with a database
server of its own (test_db_faults.FaultSite), one web server per database.
The check logs to its standard error, state/log/gatehouse-check.log
(deploy/stack.py), "session cache: on (...)" and "session cache: off (why)".
"""

import hashlib
import http.client
import os
import random
import re
import socket
import sqlite3
import statistics
import threading
import time
from pathlib import Path

import fixtures
from client import Client, CookieJar
from fixtures import CACHE_MAX_AGE, CACHE_ON, COOKIE, LOGIN, LOGOUT
from harness import check, multi_server_test, site_kind, test
from test_db_faults import OUTAGE, RECOVERY, SERVER_FOR, FaultSite, Load, describe

ROUNDS = 10            # changes of each kind measured
CACHE_WAIT = 10.0      # seconds for "session cache: on" (a start, a lost feed)
MAX_AGE_SLACK = 0.5    # seconds: past cache_max_age after its read, no entry grants
MAX_AGE_EARLY = 1.0    # seconds: an entry is not dropped sooner before cache_max_age
AFTER = 2.0            # seconds of load checked once the cache is back
RANDOM_SEED = 1211     # the random walk's, printed
RANDOM_STEPS = 400
RANDOM_SECONDS = 50.0  # and at most this long per database
CHECK_LOG = "gatehouse-check.log"
ON_LINE = "session cache: on"
OFF_LINE = "session cache: off"
LISTENER = "gatehouse-check cache"  # the PostgreSQL listener's application_name
DELAYS_FILE = "session_cache_delays.txt"
_SID_RE = re.compile(r"^[0-9a-f]{64}$")


# -- The check's log -----------------------------------------------------------


class CheckLog:
    """The "session cache:" lines gatehouse-check wrote to its log from a
    mark on: now, or with from_start from when the site started."""

    def __init__(self, site, from_start=False):
        self.site = site
        self.path = site.stack.log_dir / CHECK_LOG
        if from_start:
            self.start = site.stack.log_start.get(self.path, 0)
        else:
            try:
                self.start = self.path.stat().st_size
            except OSError:
                self.start = 0

    def lines(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.start)
                text = f.read().decode(errors="replace")
        except OSError:
            return []
        return [line for line in text.splitlines() if "session cache:" in line]

    def wait(self, predicate, timeout):
        """Waits until predicate(lines) is true; returns the lines, or None."""
        deadline = time.monotonic() + timeout
        while True:
            lines = self.lines()
            if predicate(lines):
                return lines
            if time.monotonic() > deadline:
                return None
            time.sleep(0.05)

    def tail(self):
        return "\n".join(self.lines()[-10:]) or "(no 'session cache:' line)"


def is_on(lines):
    """Whether the last switch among the lines says the cache is on."""
    switches = [line for line in lines if ON_LINE in line or OFF_LINE in line]
    return bool(switches) and ON_LINE in switches[-1]


def off_then_on(lines):
    """Whether the lines hold an "off" line and, after it, an "on" one."""
    offs = [i for i, line in enumerate(lines) if OFF_LINE in line]
    return bool(offs) and any(ON_LINE in line for line in lines[offs[0]:])


def wait_cache_on(site):
    """Waits until site's check says its cache is on; returns that line."""
    log = CheckLog(site, from_start=True)
    lines = log.wait(is_on, CACHE_WAIT)
    check(lines is not None, f"{site.server}: the check did not log '{ON_LINE}' "
          f"within {CACHE_WAIT:.0f} s (cache = on, {site.stack.database.kind}); its "
          f"lines:\n{log.tail()}\n{site.stack.logs()}")
    return [line for line in lines if ON_LINE in line][-1]


# -- The database, behind the check's back -------------------------------------


def session_id(jar):
    """The id the sessions table keeps for jar's session cookie: the hex
    SHA-256 of the token (common/session.c)."""
    return hashlib.sha256(jar.get(COOKIE).encode()).hexdigest()


def db_sql(site, text):
    """SQL as the database server's administrator, on site's database."""
    return site.stack.database.sql(text)


def unescape_batch(value):
    """A value of the MariaDB client's --batch output, unescaped."""
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "0": "\0", "\\": "\\"}
                  .get(m.group(1), m.group(0)), value)


def mariadb_session_update_triggers(site):
    """[(name, SHOW CREATE TRIGGER's fields but Created)] of the UPDATE
    triggers on sessions, in their order."""
    names = db_sql(site, "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE "
                         "EVENT_OBJECT_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE = 'sessions' "
                         "AND EVENT_MANIPULATION = 'UPDATE' ORDER BY ACTION_ORDER").split()
    out = []
    for name in names:
        fields = db_sql(site, f"SHOW CREATE TRIGGER `{name}`").rstrip("\n").split("\t")
        # Trigger, sql_mode, SQL Original Statement, character_set_client,
        # collation_connection, Database Collation, Created.
        check(len(fields) >= 6, f"SHOW CREATE TRIGGER {name}: unexpected output {fields!r}")
        out.append((name, [unescape_batch(f) for f in fields[:6]]))
    return out


def revoke_behind_triggers(site, sids):
    """Revokes the session sid (or each of a list) in the database without
    a word to the checks: PostgreSQL, in a session whose triggers are off
    (session_replication_role = replica); MariaDB, between a DROP and an
    exact re-creation of the UPDATE triggers of sessions (checked)."""
    sids = [sids] if isinstance(sids, str) else list(sids)
    check(all(_SID_RE.match(sid) for sid in sids), f"not session ids: {sids!r}")
    where = f"id IN ({', '.join(repr(sid) for sid in sids)}) AND revoked_at IS NULL"
    kind = site.stack.database.kind
    if kind == "postgresql":
        out = db_sql(site, "SET session_replication_role = replica;\n"
                           "UPDATE sessions SET revoked_at = CAST(extract(epoch FROM now()) "
                           f"AS BIGINT) WHERE {where} RETURNING id;\n")
        check(sorted(out.split()) == sorted(sids),
              f"revoking {sids} with the triggers off: updated {out!r}")
    else:
        before = mariadb_session_update_triggers(site)
        check(before, "MariaDB: no UPDATE trigger on sessions (migration 0003_session_cache)")
        sql_mode, charset, collation = before[0][1][1], before[0][1][3], before[0][1][4]
        check(re.fullmatch(r"[A-Z_,]*", sql_mode) and re.fullmatch(r"\w+", charset)
              and re.fullmatch(r"\w+", collation),
              f"unexpected trigger settings: {sql_mode!r} {charset!r} {collation!r}")
        drops = "".join(f"DROP TRIGGER `{name}`;\n" for name, _ in before)
        creates = "".join(f"{fields[2]}\n$$\n" for _, fields in before)
        script = (f"SET NAMES {charset} COLLATE {collation};\n"
                  f"SET SESSION sql_mode = '{sql_mode}';\n{drops}"
                  f"UPDATE sessions SET revoked_at = UNIX_TIMESTAMP() "
                  f"WHERE {where};\nSELECT ROW_COUNT();\n"
                  f"DELIMITER $$\n{creates}DELIMITER ;\n")
        try:
            out = db_sql(site, script)
        finally:
            # Whatever failed: every trigger back (one that exists is kept).
            missing = [fields for name, fields in before
                       if name not in dict(mariadb_session_update_triggers(site))]
            if missing:
                db_sql(site, f"SET NAMES {charset} COLLATE {collation};\n"
                             f"SET SESSION sql_mode = '{sql_mode}';\nDELIMITER $$\n" +
                             "".join(f"{fields[2]}\n$$\n" for fields in missing) +
                             "DELIMITER ;\n")
        check(out.split() == [str(len(sids))],
              f"revoking {sids} without the triggers: {out!r} rows")
        after = mariadb_session_update_triggers(site)
        check(after == before, f"the triggers of sessions were not re-created as they were:\n"
              f"before: {before}\nafter: {after}")
    live = db_sql(site, f"SELECT count(*) FROM sessions WHERE {where}")
    check(live.strip() == "0", f"sessions of {sids} not revoked in the database: {live!r}")


def drop_through_triggers(site, sid):
    """A change of the session's row the triggers see (its expiry a second
    sooner), so that every check drops it from its cache."""
    db_sql(site, f"UPDATE sessions SET expires_at = expires_at - 1 WHERE id = '{sid}'")


def prove_cache_hit(site, jar, what):
    """Shows that site's check answers jar's session from its cache: read
    (twice, so that it is stored), revoked in the database behind the
    triggers' back, still granted.  Then dropped through the triggers: the
    check must refuse it within the bound.  Returns (when it was first read,
    time.monotonic(); the answer of the cache hit)."""
    read = time.monotonic()
    site.assert_session_valid(jar, f"{what}, on {site.server}, read from the database")
    site.assert_session_valid(jar, f"{what}, on {site.server}, read again")
    revoke_behind_triggers(site, session_id(jar))
    r = site.get("/private/", jar=CookieJar(**jar.cookies))
    check(r.status == 200, f"{what}, on {site.server}: revoked in the database behind the "
          f"triggers' back {time.monotonic() - read:.2f} s after the check read it: expected "
          "200 from the check's session cache (a check that asks the database refuses)", r)
    drop_through_triggers(site, session_id(jar))
    site.assert_session_refused(jar, f"{what}, on {site.server}, once the triggers said so")
    return read, r


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


# -- c. The feed lost ------------------------------------------------------------


def kill_feed_connections(pair, kind, on_lines):
    """Kills the connection of each check's feed: PostgreSQL, the listeners
    on the pair's database (pg_terminate_backend); MariaDB, each poller's
    connection (KILL, the id of its check's last "on" line).  Returns what
    was done, for messages."""
    if kind == "postgresql":
        out = db_sql(pair.first, "SELECT count(pg_terminate_backend(pid)) FROM "
                                 f"pg_stat_activity WHERE application_name = '{LISTENER}' "
                                 "AND datname = current_database()")
        n = int(out.strip() or 0)
        check(n == 2, f"expected the two checks' listeners (application_name '{LISTENER}') "
              f"on the database, terminated {n}")
        return f"{n} listeners terminated"
    ids = []
    for site in (pair.first, pair.second):
        m = re.search(r"connection (\d+)", on_lines[site])
        check(m, f"{site.label}: the cache's 'on' line names no connection: {on_lines[site]!r}")
        ids.append(m.group(1))
    for conn in ids:
        db_sql(pair.first, f"KILL CONNECTION {int(conn)}")
    return f"the pollers' connections {' and '.join(ids)} killed"


def warm(sites, jar, what):
    """Each site's check reads jar's session (twice: it is then cached)."""
    for site in sites:
        site.assert_session_valid(jar, f"{what}, on {site.label}")
        site.assert_session_valid(jar, f"{what}, again, on {site.label}")


@multi_server_test("session_cache_feed_connection_killed_refuses_within_bound", kind="cache")
def session_cache_feed_connection_killed_refuses_within_bound(pair):
    sites = (pair.first, pair.second)
    kind = pair.first.stack.database.kind
    on_lines = {site: wait_cache_on(site) for site in sites}
    name, password = pair.first.new_user("feedkill")
    jar = pair.first.login(name, password)
    warm(sites, jar, "before the feed's connection is killed")
    logs = {site: CheckLog(site) for site in sites}
    done = kill_feed_connections(pair, kind, on_lines)
    # At once: the revocation may come before the checks learn of it.
    pair.first.stack.ctl("session", "revoke", session_id(jar))
    since = time.monotonic()
    for site in (pair.second, pair.first):
        site.assert_session_refused(jar, f"the session revoked right after {done}, on "
                                         f"{site.label}", since=since)
    for site in sites:
        if kind == "postgresql":
            # The listener's connection is the feed: the cache goes off,
            # and on again once the listener is back.
            lines = logs[site].wait(off_then_on, CACHE_WAIT)
            check(lines is not None, f"{site.label}: after {done} the check did not log "
                  f"'{OFF_LINE}', then '{ON_LINE}' again within {CACHE_WAIT:.0f} s; its "
                  f"lines since:\n{logs[site].tail()}")
        else:
            # The poller reconnects at its next poll and reads on from
            # where it was (the log is a table): it may stay on.
            lines = logs[site].lines()
            print(f"# mariadb {site.server}: after the kill: "
                  f"{'; '.join(lines) or 'no session cache line (the poller reconnected)'}",
                  flush=True)
    if kind == "postgresql":
        listeners = db_sql(pair.first, "SELECT count(*) FROM pg_stat_activity WHERE "
                                       f"application_name = '{LISTENER}' "
                                       "AND datname = current_database()").strip()
        check(listeners == "2", f"expected the two checks' listeners back, "
              f"pg_stat_activity has {listeners}")
    # The cache is used again: a new session is answered from it.
    for site in sites:
        prove_cache_hit(site, site.login(name, password), f"a session made after {done}")


def feed_down(pair, kind):
    """Stops each check's feed and keeps it from coming back: PostgreSQL,
    the check's account may not log in (NOLOGIN) and its listeners are
    terminated; MariaDB, the check's accounts lose their SELECT on
    cache_revocations (a poll then fails).  Returns (what was done, the
    SQL that undoes it)."""
    account = fixtures.stack.DB_ACCOUNTS["check"]
    if kind == "postgresql":
        db_sql(pair.first, f"ALTER ROLE {account} NOLOGIN")
        undo = f"ALTER ROLE {account} LOGIN"
        try:
            out = db_sql(pair.first, "SELECT count(pg_terminate_backend(pid)) FROM "
                                     f"pg_stat_activity WHERE application_name = '{LISTENER}' "
                                     "AND datname = current_database()")
        except BaseException:
            db_sql(pair.first, undo)
            raise
        return f"{out.strip()} listeners terminated, {account} NOLOGIN", undo
    database = pair.first.stack.database.name
    hosts = db_sql(pair.first, f"SELECT Host FROM mysql.user WHERE User = '{account}'").split()
    grants = []
    for host in hosts:
        grants += [g for g in db_sql(pair.first, f"SHOW GRANTS FOR '{account}'@'{host}'")
                   .splitlines() if f"`{database}`.`cache_revocations`" in g]
    check(grants, f"{account} has no grant on {database}.cache_revocations")
    revokes = [re.sub(r"^GRANT (.*) TO (\S+)$", r"REVOKE \1 FROM \2", g) for g in grants]
    check(all(r.startswith("REVOKE ") for r in revokes), f"unexpected grants: {grants}")
    undo = "".join(f"{g};\n" for g in grants)
    db_sql(pair.first, "".join(f"{r};\n" for r in revokes))
    return f"SELECT on cache_revocations revoked from {account}", undo


@multi_server_test("session_cache_feed_down_answers_nothing_from_cache", kind="cache")
def session_cache_feed_down_answers_nothing_from_cache(pair):
    sites = (pair.first, pair.second)
    kind = pair.first.stack.database.kind
    for site in sites:
        wait_cache_on(site)
    name, password = pair.first.new_user("feeddown")
    jar = pair.first.login(name, password)
    warm(sites, jar, "before the feed is down")
    logs = {site: CheckLog(site) for site in sites}
    done, undo = feed_down(pair, kind)
    try:
        # At once: the revocation may come before the checks learn of it.
        pair.first.stack.ctl("session", "revoke", session_id(jar))
        since = time.monotonic()
        for site in (pair.second, pair.first):
            site.assert_session_refused(jar, f"the session revoked right after {done}, on "
                                             f"{site.label}", since=since)
        for site in sites:
            lines = logs[site].wait(lambda lines: any(OFF_LINE in line for line in lines),
                                    CACHE_WAIT)
            check(lines is not None, f"{site.label}: with {done} the check did not log "
                  f"'{OFF_LINE}' within {CACHE_WAIT:.0f} s; its lines since:\n"
                  f"{logs[site].tail()}")
        # Off means off: every check reads the database.
        other = pair.first.login(name, password)
        warm(sites, other, "while the feed is down")
        revoke_behind_triggers(pair.first, session_id(other))
        for site in sites:
            site.assert_session_refused(other, f"a session revoked in the database behind the "
                                               f"triggers' back while the feed is down ({done}),"
                                               f" on {site.label}")
            check(not is_on(logs[site].lines()), f"{site.label}: the cache went on again while "
                  f"{done}:\n{logs[site].tail()}")
    finally:
        db_sql(pair.first, undo)
    for site in sites:
        lines = logs[site].wait(off_then_on, CACHE_WAIT)
        check(lines is not None, f"{site.label}: once undone ({done}), the check did not log "
              f"'{ON_LINE}' again within {CACHE_WAIT:.0f} s; its lines since:\n"
              f"{logs[site].tail()}")
    for site in sites:
        prove_cache_hit(site, site.login(name, password), "a session made once the feed was back")


# -- c. One check cut off from the database, silently ---------------------------


class StallProxy:
    """A TCP relay on 127.0.0.1 to a database server's port: stall() keeps
    every connection open but lets no byte through either way (a network
    path gone silent: no reset, no end), resume() lets them through again,
    what waited included."""

    def __init__(self, port):
        self.target = ("127.0.0.1", port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.flowing = threading.Event()
        self.flowing.set()
        self.closed = False
        self.sockets = []
        self.lock = threading.Lock()

    def start(self):
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
                server = socket.create_connection(self.target)
            except OSError:
                if self.closed:
                    return
                continue
            with self.lock:
                self.sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src, dst):
        try:
            while True:
                data = src.recv(65536)
                self.flowing.wait()
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stall(self):
        self.flowing.clear()

    def resume(self):
        self.flowing.set()

    def stop(self):
        self.closed = True
        self.flowing.set()
        with self.lock:
            socks = [self.listener] + self.sockets
        for sock in socks:
            try:
                sock.close()
            except OSError:
                pass


class ProxiedDatabase:
    """A stack Database whose check account reaches the server through a
    StallProxy; everything else (gatehousectl, the other responders, the
    administrator's SQL) goes to it directly."""

    def __init__(self, database, proxy):
        self._database = database
        self.proxy = proxy

    def __getattr__(self, name):
        return getattr(self._database, name)

    def responder_account(self, responder, socket=False):
        url, password_file = self._database.responder_account(responder, socket)
        if responder == "check":
            url, n = re.subn(r"@127\.0\.0\.1:\d+/", f"@127.0.0.1:{self.proxy.port}/", url)
            check(n == 1, f"the check's database URL is not on 127.0.0.1:PORT: {url}")
        return url, password_file


# A feed that hangs without an error stops the cache's hits by a lease of
# two seconds (gatehouse.conf(5) [check] cache, session_feed.c FEED_LEASE_MS):
# past the revocation bound, a check cut off silently may grant that long.
FEED_LEASE = 2.0
PARTITION_WATCH = 3.0   # seconds past that bound a silent check is watched
PARTITION_LONGEST = 25  # and at most, while it still grants (to say how long)
PARTITION_TIMEOUT = 2   # seconds for one answer (a check waiting on the database)


@multi_server_test("session_cache_check_cut_off_silently_grants_nothing_stale", kind="cache")
def session_cache_check_cut_off_silently_grants_nothing_stale(pair):
    # A third site, on the pair's database, whose check reaches it through
    # a relay; the first site (and gatehousectl) reach it directly.  The
    # relay stalls: the database revokes a session, the cut-off check
    # hears nothing of it, and its connections report no failure.
    database = pair.first.stack.database
    kind = database.kind
    proxy = StallProxy(database.server.port).start()
    folder = pair.first.stack.state_dir.parent.parent / f"{kind}-multi_cache-relayed"
    folder.mkdir()
    site = None
    try:
        site = fixtures.Site(folder, pair.second.server, "cache",
                             database=ProxiedDatabase(database, proxy))
        site.label = f"{site.server} (port {site.stack.port}, its check behind a relay)"
        bound, why = site.revocation_bound()
        bound, why = bound + FEED_LEASE, f"{why}, and the feed's lease of {FEED_LEASE:g} s"
        wait_cache_on(site)
        name, password = pair.first.new_user("cutoff")
        jar = pair.first.login(name, password)
        warm((site, pair.first), jar, "before the relay stalls")
        proxy.stall()
        pair.first.stack.ctl("session", "revoke", session_id(jar))
        t0 = time.monotonic()
        pair.first.assert_session_refused(jar, f"the revoked session, on {pair.first.label}")
        client = Client(site.stack.port, timeout=PARTITION_TIMEOUT)
        answers = []  # (sent, status or the exception's name)
        while True:
            sent = time.monotonic()
            try:
                outcome = client.get("/private/", jar=CookieJar(**jar.cookies)).status
            except (OSError, http.client.HTTPException) as e:
                outcome = type(e).__name__
            answers.append((sent - t0, outcome))
            late = [a for a in answers if a[1] == 200 and a[0] > bound]
            if sent - t0 > (PARTITION_LONGEST if late and outcome == 200 else
                            bound + PARTITION_WATCH):
                break
            time.sleep(0.05)
        proxy.resume()
        granted = [t for t, outcome in answers if outcome == 200]
        print(f"# {kind} {site.server}, its check cut off silently: the revoked session "
              f"granted until {max(granted, default=0):.2f} s after the revocation "
              f"(bound {bound:g} s); answers: "
              f"{', '.join(f'+{t:.2f}s {o}' for t, o in answers[-4:])}", flush=True)
        check(not late, f"{site.label}: the session revoked in the database "
              f"(through {pair.first.label}) while this check's connections were silent was "
              f"granted from its cache {len(late)} times past the bound of {bound:g} s "
              f"({why}), the last to a request sent {late[-1][0] if late else 0:.2f} s "
              "after the revocation: a feed that hears nothing must not keep the cache on "
              "longer than the bound")
        check(all(o != 200 for t, o in answers if t > bound),
              f"{site.label}: granted past the bound: {answers}")
        # Through again: the cache is back (the feed's hung wait or poll
        # ends, the next renews its lease) and used.
        time.sleep(FEED_LEASE)
        log = CheckLog(site, from_start=True)
        check(log.wait(is_on, CACHE_WAIT * 3) is not None,
              f"{site.label}: the cache is not on again after the relay resumed:\n{log.tail()}")
        site.assert_session_refused(jar, f"the revoked session, on {site.label}, once through")
        prove_cache_hit(site, pair.first.login(name, password),
                        "a session made once the relay resumed")
    finally:
        proxy.resume()
        if site is not None:
            site.close()
        proxy.stop()
    problems = site.stack.responder_problems()
    check(not problems, "\n".join(problems))


# -- c. The database server restarted under load -----------------------------


class CacheLoad(Load):
    """test_db_faults.Load with a valid session and a revoked one."""

    WHAT = ("valid", "revoked")

    def __init__(self, site, valid, revoked):
        super().__init__(site, valid)
        self.cookies = {"valid": CookieJar(**{COOKIE: valid.get(COOKIE)}),
                        "revoked": CookieJar(**{COOKIE: revoked.get(COOKIE)})}


def session_cache_db_restart(site):
    site.settle()
    bound, why = site.revocation_bound()
    check(bound > 0, f"the site has no session cache: {why}")
    wait_cache_on(site)
    name, password = site.new_user("restart")
    valid = site.login(name, password)
    other, other_pw = site.new_user("restartrev")
    revoked = site.login(other, other_pw)
    for jar, what in ((valid, "the valid session"), (revoked, "the session to revoke")):
        site.assert_session_valid(jar, f"{what}, read")
        site.assert_session_valid(jar, f"{what}, read again")

    load = CacheLoad(site, valid, revoked).start()
    t0 = time.monotonic()
    try:
        time.sleep(1.0)
        # Revoked, then the server stopped at once: the revocation and the
        # feed's end race.
        site.stack.ctl("session", "revoke", session_id(revoked))
        t_rev = time.monotonic()
        log = CheckLog(site)
        site.db.stop()
        t_down = time.monotonic()
        time.sleep(OUTAGE)
        t_start = time.monotonic()
        t_up = site.restart_db()
        back = log.wait(off_then_on, RECOVERY)
        t_back = time.monotonic()
        recovered = None
        while back is not None and time.monotonic() < t_up + RECOVERY:
            if load.all_right_since(t_back, 0.5):
                recovered = time.monotonic()
                break
            time.sleep(0.1)
        time.sleep(AFTER)
        t_end = time.monotonic()
    finally:
        load.stop()

    def rel(results):
        return [(s - t0, e - t0, what, outcome) for s, e, what, outcome in results]

    times = (f"(revoked at +{t_rev - t0:.2f}s, database down at +{t_down - t0:.2f}s, "
             f"started at +{t_start - t0:.2f}s, up at +{t_up - t0:.2f}s; bound {bound:g} s, "
             f"{why})")
    results = load.results
    errors = [r for r in results if not isinstance(r[3], int)]
    check(not errors, f"{len(errors)} request(s) got no HTTP answer:\n"
          f"{describe(rel(errors))}\n{times}")
    late = [r for r in results if r[2] == "revoked" and r[3] == 200 and r[0] > t_rev + bound]
    check(not late, f"the revoked session was granted past the bound:\n"
          f"{describe(rel(late))}\n{times}")
    odd = [r for r in results if r[2] == "valid" and r[3] not in (200, 500, 503)]
    check(not odd, f"the valid session got neither 200 nor 500/503 (never the login page):\n"
          f"{describe(rel(odd))}\n{times}")
    odd = [r for r in results if r[2] == "revoked" and r[3] not in (200, 302, 500, 503)]
    check(not odd, f"the revoked session got neither 302 nor 500/503:\n"
          f"{describe(rel(odd))}\n{times}")
    down = [r for r in load.between(t_down + bound, t_start) if r[2] == "valid"]
    check(len(down) >= 5, f"only {len(down)} checks of the valid session during the outage "
          f"past the bound: the load is too thin to tell\n{times}")
    hits = [r for r in down if r[3] == 200]
    check(not hits, f"the valid session was granted from the cache during the outage, past "
          f"the bound (its feed is gone):\n{describe(rel(hits))}\n{times}")
    check(back is not None, f"after the restart the check did not log '{OFF_LINE}', then "
          f"'{ON_LINE}' within {RECOVERY:.0f} s; its lines since the stop:\n{log.tail()}\n"
          f"{times}")
    check(recovered is not None, f"the checks were not right again within {RECOVERY:.0f} s "
          f"after the restart; answers since:\n"
          f"{describe(rel(load.between(t_up, t_end))[-12:])}\n{times}\n{site.stack.logs()}")
    after = load.between(recovered, t_end)
    bad = [r for r in after if r[3] != (200 if r[2] == "valid" else 302)]
    check(after and not bad, f"{len(bad)} of {len(after)} answers after the recovery were "
          f"wrong:\n{describe(rel(bad))}\n{times}")
    site.assert_session_refused(revoked, "the revoked session after the restart")
    prove_cache_hit(site, site.login(name, password), "a session after the restart")
    print(f"# {site.db_kind}: {len(results)} checks; the cache on again "
          f"{t_back - t_up:.2f} s after the restart", flush=True)


for _kind, _server in SERVER_FOR.items():
    site_kind(f"cache_fault_{_kind}")(
        lambda folder, server, kind=_kind: FaultSite(folder, server, kind, settings=CACHE_ON))
    test(f"session_cache_db_restart_never_grants_revoked_{_kind}", kind=f"cache_fault_{_kind}",
         servers=(_server,))(session_cache_db_restart)


# -- d. A random walk on two sites ---------------------------------------------


class Walk:
    """The model of the random walk: users (password, roles, disabled) and
    sessions (jar, user, roles at login, when they ended)."""

    ROLES = ("admin", "editor", "admin,editor")

    def __init__(self, pair, rng):
        self.pair = pair
        self.sites = (pair.first, pair.second)
        self.rng = rng
        self.bound, self.why = pair.first.revocation_bound()
        self.users = {}     # name -> {"password", "roles", "disabled"}
        self.sessions = []  # {"jar", "user", "roles", "ended", "how"}
        self.counts = {}
        self.ctl = pair.first.stack.ctl
        self.n = 0  # the step

    def live(self, user=None):
        return [s for s in self.sessions if s["ended"] is None
                and (user is None or s["user"] == user)]

    def end_sessions(self, sessions, how):
        now = time.monotonic()
        for s in sessions:
            s["ended"], s["how"] = now, how

    def new_user(self):
        roles = self.rng.choice(("",) + self.ROLES)
        name, password = self.pair.first.new_user("walk", roles=roles.split(",") if roles else ())
        self.users[name] = {"password": password, "roles": roles, "disabled": False}
        return name

    def step(self):
        actions = [("check", 45), ("login", 20), ("logout", 8), ("revoke", 8),
                   ("roles", 6), ("passwd", 4), ("disable", 4), ("enable", 3)]
        action = self.rng.choices([a for a, _ in actions], [w for _, w in actions])[0]
        done = getattr(self, f"do_{action}")()
        if done:
            self.counts[action] = self.counts.get(action, 0) + 1

    def do_login(self):
        enabled = [n for n, u in self.users.items() if not u["disabled"]]
        name = (self.new_user() if len(enabled) < 3 or self.rng.random() < 0.15
                else self.rng.choice(enabled))
        user = self.users[name]
        site = self.rng.choice(self.sites)
        mine = self.live(name)
        if mine and self.rng.random() < 0.3:
            # A login with the user's open session: a new id, the old revoked.
            old = self.rng.choice(mine)
            jar = CookieJar(**old["jar"].cookies)
            site.login(name, user["password"], jar=jar)
            self.end_sessions([old], f"a new login on {site.label} with its cookie")
            check(jar.get(COOKIE) != old["jar"].get(COOKIE), "a login kept the session id")
        else:
            jar = site.login(name, user["password"])
        self.sessions.append({"jar": CookieJar(**{COOKIE: jar.get(COOKIE)}), "user": name,
                              "roles": user["roles"], "ended": None, "how": None,
                              "made": site.label})
        return True

    def do_check(self):
        if not self.sessions:
            return False
        live = self.live()
        pool = live if live and self.rng.random() < 0.7 else self.sessions
        s = self.rng.choice(pool)
        site = self.rng.choice(self.sites)
        path = self.rng.choice(("/private/", "/admin/"))
        sent = time.monotonic()
        r = site.get(path, jar=CookieJar(**s["jar"].cookies))
        granted = 200 if path == "/private/" or "admin" in s["roles"].split(",") else 403
        refused = r.status == 302 and (r.location or "").startswith(LOGIN)
        what = (f"step {self.n}: GET {path} on {site.label}, a session of {s['user']} (roles "
                f"{s['roles'] or 'none'}) made on {s['made']}")
        if s["ended"] is None:
            check(r.status == granted, f"{what}, live: expected {granted}", r)
        elif sent > s["ended"] + self.bound:
            check(refused, f"{what}, ended by {s['how']} {sent - s['ended']:.3f} s before: "
                  f"expected 302 to the login page (the bound: {self.bound:g} s, {self.why})", r)
        else:
            check(refused or r.status == granted, f"{what}, ended by {s['how']} "
                  f"{sent - s['ended']:.3f} s before (within the bound): expected 302 to the "
                  f"login page, or {granted} from the cache", r)
        return True

    def do_logout(self):
        live = self.live()
        if not live:
            return False
        s = self.rng.choice(live)
        site = self.rng.choice(self.sites)
        jar = CookieJar(**s["jar"].cookies)
        r = site.http.post_form(LOGOUT, {"csrf": site.logout_form(jar)}, jar=jar)
        check(r.status == 200 and "You have been logged out." in r.text,
              f"step {self.n}: POST /auth/logout on {site.label}: expected the logged-out "
              "page", r)
        self.end_sessions([s], f"a logout on {site.label}")
        return True

    def do_revoke(self):
        live = self.live()
        if not live:
            return False
        s = self.rng.choice(live)
        self.ctl("session", "revoke", session_id(s["jar"]))
        self.end_sessions([s], "gatehousectl session revoke")
        return True

    def pick_user(self, disabled=False):
        names = [n for n, u in self.users.items() if u["disabled"] == disabled]
        return self.rng.choice(names) if names else None

    def do_roles(self):
        name = self.pick_user()
        if name is None:
            return False
        roles = self.rng.choice([r for r in self.ROLES if r != self.users[name]["roles"]])
        self.ctl("user", "roles", name, roles)
        self.users[name]["roles"] = roles
        self.end_sessions(self.live(name), f"gatehousectl user roles {roles}")
        return True

    def do_passwd(self):
        name = self.pick_user()
        if name is None:
            return False
        password = self.users[name]["password"] + "x"
        self.ctl("user", "passwd", name, "--password-stdin", input=password + "\n")
        self.users[name]["password"] = password
        self.end_sessions(self.live(name), "gatehousectl user passwd")
        return True

    def do_disable(self):
        name = self.pick_user()
        if name is None:
            return False
        self.ctl("user", "disable", name)
        self.users[name]["disabled"] = True
        self.end_sessions(self.live(name), "gatehousectl user disable")
        return True

    def do_enable(self):
        name = self.pick_user(disabled=True)
        if name is None:
            return False
        self.ctl("user", "enable", name)
        self.users[name]["disabled"] = False
        return True


@multi_server_test("session_cache_random_walk_never_grants_ended", kind="cache")
def session_cache_random_walk_never_grants_ended(pair):
    for site in (pair.first, pair.second):
        wait_cache_on(site)
    # user roles needs the roles.
    for role in ("editor",):
        r = pair.first.stack.ctl("role", "add", role, check=False)
        check(r.returncode in (0, 4), f"role add {role}: exit {r.returncode}: "
              f"{r.stdout}{r.stderr}")
    seed = int(os.environ.get("GATEHOUSE_TEST_CACHE_SEED", RANDOM_SEED))
    print(f"# {pair.first.stack.database.kind}: random walk, seed {seed} "
          "(GATEHOUSE_TEST_CACHE_SEED)", flush=True)
    walk = Walk(pair, random.Random(seed))
    start = time.monotonic()
    while walk.n < RANDOM_STEPS and time.monotonic() - start < RANDOM_SECONDS:
        walk.n += 1
        walk.step()
    # At the end, past the bound: every session as the model says, on both.
    time.sleep(walk.bound)
    for s in walk.sessions:
        for site in walk.sites:
            if s["ended"] is None:
                site.assert_session_valid(s["jar"], f"at the end, a live session of {s['user']}"
                                                    f" made on {s['made']}, on {site.label}")
            else:
                site.assert_session_refused(s["jar"], f"at the end, a session of {s['user']} "
                                                      f"ended by {s['how']}, on {site.label}")
    ended = sum(1 for s in walk.sessions if s["ended"] is not None)
    counts = ", ".join(f"{k} {v}" for k, v in sorted(walk.counts.items()))
    print(f"# {pair.first.stack.database.kind}: {walk.n} steps in "
          f"{time.monotonic() - start:.1f} s ({counts}); {len(walk.sessions)} sessions, "
          f"{ended} ended", flush=True)


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
