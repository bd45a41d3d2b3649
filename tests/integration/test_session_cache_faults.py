"""The check's session cache when its feed fails (issue 11): its
connection killed (the PostgreSQL listener terminated: the cache goes off,
and on again once the listener is back; the MariaDB poller's connection
killed: it reconnects and reads on from the table), kept down (the check's
account NOLOGIN, or its SELECT on cache_revocations revoked: the cache is
off, every check reads the database), cut off silently through a stalled
relay (the feed's lease ends the hits), or lost with a server restarted
under load: nothing is granted from the stale cache past the bound, and the
cache comes back by itself ("session cache: on" in the check's log) and is
used again.

The restart runs on a site with a database server of its own
(test_db_faults.FaultSite), one web server per database; the others on a
pair of sites of kind "cache" on each server database.
"""

import http.client
import re
import socket
import threading
import time

import fixtures
from client import Client, CookieJar
from fixtures import CACHE_ON, COOKIE
from harness import check, multi_server_test, site_kind, test
from test_db_faults import OUTAGE, RECOVERY, SERVER_FOR, FaultSite, Load, describe
from cache_support import (AFTER, CACHE_WAIT, CheckLog, LISTENER, OFF_LINE, ON_LINE, db_sql, is_on, off_then_on, prove_cache_hit, revoke_behind_triggers, session_id, wait_cache_on, warm)


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
            # where it was (the log is a table): it may stay on, or, when
            # the poll met the killed connection first, go off and on again.
            lines = logs[site].lines()
            if any(OFF_LINE in line for line in lines):
                lines = logs[site].wait(off_then_on, CACHE_WAIT)
                check(lines is not None, f"{site.label}: after {done} the check logged "
                      f"'{OFF_LINE}' but not '{ON_LINE}' again within {CACHE_WAIT:.0f} s; "
                      f"its lines since:\n{logs[site].tail()}")
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
