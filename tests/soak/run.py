#!/usr/bin/env python3
"""Gatehouse soak test: a mixed load on a real site for a while, then checks
that nothing wore out.

Starts lighttpd and the three responders on SQLite with deploy/stack.py in a
temporary folder (the programs of build/, or $GATEHOUSE_BUILD_DIR), and keeps
a few client threads busy on loopback for --seconds (or
$GATEHOUSE_SOAK_SECONDS; default 60).  Each thread repeats, chosen at random:

- a whole visit: login form, login, a few protected pages (and /admin/,
  which the user may not see), the logout form, the logout, the protected
  page again with the dead cookie;
- a login that keeps its session open until the end (checked at the end);
- a second login with an open session's cookie (the old one must be revoked);
- wrong passwords, unknown users, a wrong CSRF token, malformed bodies
  (bad percent-encoding, NUL), a malformed Cookie header, a body over
  max_body, requests without a session or with a made-up one, an API client
  without a session, a logout page without a session, a broken HTTP request.

While the load runs, `gatehousectl purge` deletes revoked sessions every few
seconds (a concurrent writer, and it keeps the database, and so SQLite's page
cache, from growing for ever), and the sessions table is compared with what
the clients know.  After a warm-up (a quarter of the run, at least 5 s) the
load pauses once to take each responder's resident memory and open file
descriptors; after the load stops they are taken again.

Checks, one "ok - NAME" or "not ok - NAME" line each, then "N passed, N failed":

- load_ran: every kind of request was sent, no request failed in transport;
- statuses_expected: every answer had the status expected for its kind
  (the table of counts is printed);
- sessions_consistent_during_load / sessions_consistent_at_end: every
  successful login has exactly one live session (not revoked, not expired)
  in the database until its logout, none after; the database holds no live
  session the clients do not know about;
- rss_flat/gatehouse-X: VmRSS after the load minus VmRSS after the warm-up
  is at most --rss-bound KiB (default 512; see RSS_BOUND_KIB);
- fds_stable/gatehouse-X: the same number of open descriptors;
- still_serving: a login, a protected page and a logout after the load;
- responders_exit_clean: after the stop every responder exited with status
  0 and its log holds no sanitizer report (deploy/stack.py).

    python3 tests/soak/run.py [--seconds N] [--threads N] [--keep]

Sessions keep the default timeouts (30 min idle, 12 h absolute): the held
sessions are visited often enough for the first, and a soak is much shorter
than the second.  Against an ASan build (GATEHOUSE_BUILD_DIR=build-asan) the
RSS checks are skipped (ASan's quarantine grows by design); LeakSanitizer
then checks at the responders' exit (responders_exit_clean).

The load itself (the kinds of request, the statuses they must get, the
ledger of sessions) is in tests/soak/load.py.

Only the Python standard library.  Every loop is bounded (by time and by a
count), every request has a timeout, and the site is stopped on any exit.
"""

import argparse
import collections
import http.client
import os
import secrets
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "deploy"))
sys.path.insert(0, str(HERE.parent / "integration"))

import stack  # noqa: E402  (deploy/stack.py)
from client import CookieJar  # noqa: E402
from load import EXPECTED, Load, SoakError, soak_client  # noqa: E402

DEFAULT_SECONDS = 60
DEFAULT_THREADS = 3

# Growth of a responder's VmRSS allowed between the end of the warm-up and
# the end of the load, in KiB.  What may still move a responder's RSS once
# every code path has run: glibc's per-thread arenas and the top of the heap
# (chunks reused, a few pages touched or trimmed at the edges), SQLite's
# page cache (up to 2 MB per connection, but bounded by the database file,
# which the periodic purge keeps near its warm-up size) and the WAL index
# mapping.  Measured here over 60 s (15,000 to 95,000 requests): +0 to
# +60 KiB per responder, also without the purge.  The load sends 700 to 1,500
# requests a second, so a leak of 30 bytes per request on the check passes
# 512 KiB within the 45 s measured; a leak of 200 bytes per request showed
# as +1.2 to +4 MiB in 15 s.  The bytes per request are printed too.
RSS_BOUND_KIB = 512

WARMUP_FRACTION = 0.25
WARMUP_MIN = 5.0          # seconds
PURGE_EVERY = 5.0         # seconds between `gatehousectl purge` runs
DB_CHECK_EVERY = 3.0      # seconds between consistency checks during the load
USERS = 6                 # users who log in (each thread picks one)

FAST_HASHING = {"login": {"argon2_memory_kib": 1024, "argon2_time": 1,
                          "allow_weak_hashing": True},
                # every client is 127.0.0.1: no 429 for the soak's own failures
                "throttle": {"max_failures": 1000000}}

def proc_status(pid):
    """{field: kB} for the memory fields of /proc/PID/status."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, val = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem", "VmHWM"):
                out[key] = int(val.split()[0])
    return out


def proc_fds(pid):
    """{fd: target} of the process's open descriptors."""
    fds = {}
    folder = f"/proc/{pid}/fd"
    for name in os.listdir(folder):
        try:
            fds[int(name)] = os.readlink(f"{folder}/{name}")
        except OSError:
            pass
    return fds


def snapshot(site):
    """{responder: (status fields, fds)} for every responder."""
    out = {}
    for name, proc in site.responders.items():
        out[name] = (proc_status(proc.pid), proc_fds(proc.pid))
    return out


def open_db(site):
    path = site.db_path
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    return db


def check_sessions(site, ledger, final):
    """Compares the sessions table with the ledger (under its lock, so that
    no client changes a session's state meanwhile).  Returns a list of
    problems."""
    problems = []
    db = open_db(site)
    try:
        with ledger.lock:
            now = int(time.time())
            users = dict(db.execute("SELECT username, id FROM users"))
            rows = {r[0]: r[1:] for r in db.execute(
                "SELECT id, user_id, revoked_at, expires_at, last_seen_at, idle_timeout "
                "FROM sessions")}
            state = dict(ledger.state)
            in_flight = ledger.logins_in_flight
        # A margin of a second: the database and this clock round differently.
        def live(row):
            uid, revoked, expires, seen, idle = row
            return revoked is None and expires > now + 1 and seen + idle > now + 1
        live_ids = {sid for sid, row in rows.items() if live(row)}
        counts = collections.Counter(state.values())
        for sid, st in state.items():
            row = rows.get(sid)
            if st == "open":
                if row is None:
                    problems.append(f"open session {sid[:12]}…: no row in sessions")
                elif not live(row):
                    problems.append(f"open session {sid[:12]}…: not live in the database "
                                    f"(revoked_at={row[1]}, expires_at={row[2]}, "
                                    f"last_seen_at={row[3]}, idle_timeout={row[4]}, now={now})")
                elif row[0] != users.get(ledger.user[sid]):
                    problems.append(f"open session {sid[:12]}…: user_id {row[0]}, expected the "
                                    f"id of {ledger.user[sid]} ({users.get(ledger.user[sid])})")
            elif st == "closed" and sid in live_ids:
                problems.append(f"logged-out or replaced session {sid[:12]}…: still live")
        unknown = live_ids - set(state)
        if len(unknown) > in_flight:
            problems.append(f"{len(unknown)} live session(s) no client knows of "
                            f"({in_flight} login(s) in flight)")
        if final and (in_flight or counts["closing"]):
            problems.append(f"after the load: {in_flight} login(s) and {counts['closing']} "
                            "logout(s) still marked in flight")
        if final:
            per_user = collections.Counter(rows[sid][0] for sid in live_ids)
            want = collections.Counter(users.get(ledger.user[s]) for s, st in state.items()
                                       if st == "open")
            if per_user != want:
                problems.append(f"live sessions per user id {dict(per_user)}, the clients "
                                f"hold {dict(want)}")
    finally:
        db.close()
    return problems, len(rows), counts


# -- Main --------------------------------------------------------------------


class Report:
    def __init__(self):
        self.passed = self.failed = 0

    def result(self, name, ok, detail="", why=""):
        if ok:
            self.passed += 1
            print(f"ok - {name}{' (' + detail + ')' if detail else ''}", flush=True)
        else:
            self.failed += 1
            print(f"not ok - {name}{' (' + detail + ')' if detail else ''}", flush=True)
            for line in str(why).rstrip().splitlines():
                print(f"    # {line}", flush=True)

    def comment(self, text):
        for line in str(text).rstrip().splitlines():
            print(f"# {line}", flush=True)


def is_asan_build(path):
    """Whether the program was built with AddressSanitizer (its memory then
    grows with ASan's quarantine: RSS says nothing about leaks)."""
    try:
        return b"__asan_init" in Path(path).read_bytes()
    except OSError:
        return False


def make_users(site):
    users = []
    for i in range(USERS):
        name, password = f"soak{i + 1}", secrets.token_urlsafe(18)
        site.ctl("user", "add", name, "--password-stdin", input=password + "\n")
        users.append((name, password))
    victim = "soakvictim"
    site.ctl("user", "add", victim, "--password-stdin", input=secrets.token_urlsafe(18) + "\n")
    return users, victim


def purge(site, counts):
    proc = site.ctl("purge", check=False)
    counts["purge ok" if proc.returncode == 0 else f"purge exit {proc.returncode}"] += 1
    return proc


def soak(args, report, root):
    seconds = args.seconds
    warmup = max(WARMUP_MIN, seconds * WARMUP_FRACTION)
    site = stack.Stack(Path(root) / "state", server=args.server, settings=FAST_HASHING)
    try:
        site.start()
    except stack.StackError as e:
        report.result("site_started", False, why=e)
        return
    problems_at_exit = None
    try:
        users, victim = make_users(site)
        asan = is_asan_build(site.program("gatehouse-check"))
        load = Load(site, users, victim, seconds, args.threads, args.seed)
        report.comment(f"{args.threads} client threads for {seconds:.0f} s "
                       f"(warm-up {warmup:.0f} s) on {site.url('/')}, build {site.build_dir}")
        started = time.monotonic()
        load.start()

        db_problems, db_checks, purges = [], 0, collections.Counter()
        rss_max = collections.defaultdict(int)
        next_purge = started + PURGE_EVERY
        next_db = started + DB_CHECK_EVERY
        warm = None
        warm_at = started + warmup
        while any(t.is_alive() for t in load.threads):
            now = time.monotonic()
            for name, proc in site.responders.items():
                if proc.poll() is None:
                    rss_max[name] = max(rss_max[name], proc_status(proc.pid)["VmRSS"])
            if warm is None and now >= warm_at:
                t0 = time.monotonic()
                if not load.quiesce():
                    report.comment("the threads did not pause for the warm-up measure")
                time.sleep(0.5)  # let lighttpd's FastCGI connections close
                warm = snapshot(site)
                warm_requests = sum(load.counts.values())
                load.go_on(time.monotonic() - t0)
            if now >= next_purge:
                purge(site, purges)
                next_purge = now + PURGE_EVERY
            if now >= next_db:
                found, _, _ = check_sessions(site, load.ledger, final=False)
                db_problems += found
                db_checks += 1
                next_db = now + DB_CHECK_EVERY
            time.sleep(0.25)
        if not load.join():
            report.comment("a client thread did not stop")
        time.sleep(0.5)
        end = snapshot(site) if all(p.poll() is None for p in site.responders.values()) else None
        took = time.monotonic() - started

        # -- Load and statuses ----------------------------------------------
        total = sum(load.counts.values())
        kinds_seen = {k for k, _ in load.counts}
        missing = sorted(set(EXPECTED) - kinds_seen)
        errors = sum(load.errors.values())
        report.comment(f"{total} requests in {took:.1f} s ({total / max(took, 0.001):.0f}/s), "
                       f"{load.ledger.logins} logins, {purges['purge ok']} purges, "
                       f"{load.retries} reconnect retries")
        report.result("load_ran", not missing and errors == 0 and total > 0,
                      f"{total} requests, {errors} transport errors",
                      (f"kinds never sent: {', '.join(missing)}\n" if missing else "")
                      + "\n".join(load.error_examples)
                      + "".join(f"\n{k}: {n} errors" for k, n in load.errors.items()))
        table = collections.defaultdict(dict)
        for (kind, status), n in load.counts.items():
            table[kind][status] = n
        unexpected = {k: n for k, n in load.counts.items() if k[1] not in EXPECTED[k[0]]}
        for kind in sorted(table):
            got = ", ".join(f"{s}: {n}" for s, n in sorted(table[kind].items()))
            want = "/".join(str(s) for s in sorted(EXPECTED[kind]))
            report.comment(f"  {kind:<26} {got}  (expected {want})")
        bad_purges = {k: n for k, n in purges.items() if k != "purge ok"}
        report.result("statuses_expected", not unexpected and not bad_purges,
                      f"{sum(unexpected.values())} unexpected",
                      "".join(f"{kind}: {n} x {status}, e.g.\n{load.examples[(kind, status)]}\n"
                              for (kind, status), n in unexpected.items())
                      + "".join(f"gatehousectl {k}: {n} times\n" for k, n in bad_purges.items()))

        # -- Sessions -----------------------------------------------------------
        report.result("sessions_consistent_during_load", db_checks > 0 and not db_problems,
                      f"{db_checks} checks", "\n".join(db_problems[:20]) or
                      "no check ran")
        found, nrows, counts = check_sessions(site, load.ledger, final=True)
        report.result("sessions_consistent_at_end", not found,
                      f"{counts['open']} open, {counts['closed']} closed by the clients, "
                      f"{nrows} rows", "\n".join(found[:20]))

        # -- Memory and descriptors ---------------------------------------------
        served = total - (warm_requests if warm else 0)
        for name in site.responders:
            label = f"gatehouse-{name}"
            if warm is None or end is None:
                report.result(f"rss_flat/{label}", False,
                              why="no measure (the load ended before the warm-up, or a "
                              "responder died)")
                report.result(f"fds_stable/{label}", False, why="no measure")
                continue
            (w_mem, w_fds), (e_mem, e_fds) = warm[name], end[name]
            growth = e_mem["VmRSS"] - w_mem["VmRSS"]
            detail = (f"VmRSS {w_mem['VmRSS']} -> {e_mem['VmRSS']} kB ({growth:+d}; RssAnon "
                      f"{e_mem['RssAnon'] - w_mem['RssAnon']:+d}), max {rss_max[name]} kB, "
                      f"{growth * 1024 / max(served, 1):+.1f} B per request of the site")
            if asan:
                report.comment(f"skip rss_flat/{label}: an ASan build ({detail})")
            else:
                report.result(f"rss_flat/{label}", growth <= args.rss_bound,
                              f"{detail}; bound {args.rss_bound} KiB",
                              f"grew by {growth} KiB after the warm-up")
            more = {fd: t for fd, t in e_fds.items() if w_fds.get(fd) != t}
            gone = {fd: t for fd, t in w_fds.items() if e_fds.get(fd) != t}
            report.result(f"fds_stable/{label}", len(e_fds) == len(w_fds),
                          f"{len(w_fds)} -> {len(e_fds)} open descriptors",
                          f"new: {more}\ngone: {gone}")

        # -- Still serving --------------------------------------------------------
        try:
            c = soak_client(site.port)
            final = Load(site, users, victim, 0, 0, args.seed)
            jar = CookieJar()
            token = final.login(c, users[0], jar)
            ok = token is not None
            if ok:
                ok = final.note("page_private", c.request("GET", "/private/", jar=jar))
                final.logout(c, jar, token)
            c.close()
            bad = {k: n for k, n in final.counts.items() if k[1] not in EXPECTED[k[0]]}
            report.result("still_serving", ok and not bad, "login, page, logout after the load",
                          "\n".join(final.examples.values()))
        except (OSError, http.client.HTTPException, SoakError) as e:
            report.result("still_serving", False, why=repr(e))
    finally:
        site.stop()
        problems_at_exit = site.responder_problems()
    report.result("responders_exit_clean", not problems_at_exit,
                  ", ".join(f"{n}: {s}" for n, s in site.responder_exit.items()),
                  "\n".join(problems_at_exit))


def save_logs(root):
    art = os.environ.get("GATEHOUSE_ARTIFACTS")
    if not art:
        return
    dest = Path(art) / "soak"
    shutil.rmtree(dest, ignore_errors=True)
    log_dir = Path(root) / "state" / "log"
    if log_dir.is_dir():
        shutil.copytree(log_dir, dest)


def stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt()


def main():
    env_seconds = os.environ.get("GATEHOUSE_SOAK_SECONDS")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float,
                        default=float(env_seconds) if env_seconds else DEFAULT_SECONDS,
                        help=f"length of the load (default $GATEHOUSE_SOAK_SECONDS or "
                             f"{DEFAULT_SECONDS})")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                        help=f"client threads (default {DEFAULT_THREADS})")
    parser.add_argument("--server", choices=stack.SERVERS, default="lighttpd")
    parser.add_argument("--rss-bound", type=int, default=RSS_BOUND_KIB,
                        help=f"KiB of VmRSS growth allowed after the warm-up "
                             f"(default {RSS_BOUND_KIB})")
    parser.add_argument("--seed", type=int, default=int(time.time()),
                        help="seed of the clients' choices (default: the time; printed)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    if args.seconds <= 0 or args.threads < 1:
        parser.error("--seconds and --threads must be positive")
    signal.signal(signal.SIGTERM, stop_on_sigterm)

    report = Report()
    report.comment(f"seed {args.seed}")
    root = tempfile.mkdtemp(prefix="gatehouse-soak-")
    os.chmod(root, 0o711)
    try:
        soak(args, report, root)
    except KeyboardInterrupt:
        report.result("interrupted", False)
    except Exception:
        report.result("soak_ran", False, why=traceback.format_exc())
    finally:
        save_logs(root)
        if args.keep:
            report.comment(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print(f"{report.passed} passed, {report.failed} failed", flush=True)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
