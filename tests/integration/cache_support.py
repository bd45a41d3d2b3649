"""What the session cache's integration tests share (test_session_cache.py,
test_session_cache_faults.py, test_session_cache_walk.py): the check's log
and its "session cache: on/off" lines, the database reached behind the
check's back (a revocation the triggers do not see, the proof of a cache
hit), warming a session into the checks' caches.

The check logs to its standard error, state/log/gatehouse-check.log
(deploy/stack.py), "session cache: on (...)" and "session cache: off (why)".
"""

import hashlib
import re
import time

from client import CookieJar
from fixtures import COOKIE
from harness import check

ROUNDS = 10            # changes of each kind measured
CACHE_WAIT = 10.0      # seconds for "session cache: on" (a start, a lost feed)
MAX_AGE_SLACK = 0.5    # seconds: past cache_max_age after its read, no entry grants
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



def warm(sites, jar, what):
    """Each site's check reads jar's session (twice: it is then cached)."""
    for site in sites:
        site.assert_session_valid(jar, f"{what}, on {site.label}")
        site.assert_session_valid(jar, f"{what}, again, on {site.label}")
