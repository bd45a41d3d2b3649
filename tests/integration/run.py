#!/usr/bin/env python3
"""Gatehouse integration tests: the real programs behind real web servers.

The whole suite runs once per database: SQLite, then MariaDB, then
PostgreSQL (each server database only when its driver is built; a "# skip"
line says when not).  For a server database, one throwaway server
(tests/dbserver.sh, through deploy/stack.py DbServer) is started for the
whole pass, and each site gets a database of its own on it (as each SQLite
site has its own file), migrated by gatehousectl under the owning account;
its responders run under the least-privilege accounts of
sql/<dialect>/grants.sql, so a missing grant fails a test.  Within a pass
every test runs under lighttpd, Apache and nginx (the same test body), each
against a site started by deploy/stack.py in a temporary folder that is
removed afterwards.  Prints one line per test, "ok - DATABASE/SERVER/NAME"
or "not ok - DATABASE/SERVER/NAME" with the reason indented below it (or
"# skip DATABASE/SERVER/NAME: reason" for a test that cannot be tried on
this machine, harness.skip), and ends with "N passed, N failed"; exits 1
when a test failed.

The tests are those of every tests/integration/test_*.py, imported in the
order of their names (each registers its tests on import, see harness.py):
a new module runs without being named here.  A module that fails to import
or registers no test is a failing line, "not ok - import/MODULE", before
the first pass.  --list prints the name of each test (after -k) instead,
then the same last line; --tests-dir imports the test_*.py of another
folder (tests/integration/test_runner.py checks the runner with it).

After the tests of each web server, one more line,
DATABASE/SERVER/responders_exit_clean, checks every responder those tests
started: each must have exited with status 0 when its site stopped, and its
log must hold no sanitizer report (ASan, LSan, UBSan) and no "workers still
busy" (see deploy/stack.py, Stack.responder_problems).  Against a sanitizer
build (GATEHOUSE_BUILD_DIR=build-asan) this is where a leak or a memory
error found by the responders fails the suite.

On each server database the pass ends with the multi-server tests
(test_multi_server.py, test_session_cache.py): two sites, lighttpd and
nginx (or what --server leaves), on one database, "DATABASE/SERVER+SERVER/NAME";
one such pair per kind of site the tests name, each on a database of its own.

GATEHOUSE_TEST_CHECK_CACHE=off writes [check] cache = off into every site's
configuration (=on: cache = on), but for the kinds of site that set it
themselves (fixtures.py): scripts/test.sh runs the suite once with the
check's session cache (its default) and once, in the asan tier, without.

    python3 tests/integration/run.py [-k SUBSTRING] [--server lighttpd|apache|nginx]
        [--database sqlite|mariadb|postgresql|all] [--keep] [--list]
        [--tests-dir FOLDER]

--server and --database may be repeated; the default is every web server
and every database whose driver is built.  Needs the programs in build/ (or
$GATEHOUSE_BUILD_DIR), spawn-fcgi, lighttpd, apache2, nginx (nginx-light),
fcgiwrap and openssl, and for the server databases mariadb-server and
postgresql.  When $GATEHOUSE_ARTIFACTS is set, the logs of every site and
database server are copied to $GATEHOUSE_ARTIFACTS/integration/.
"""

import argparse
import importlib
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

TEST_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(TEST_DIR))

import fixtures  # noqa: E402
import inspect  # noqa: E402
import subprocess  # noqa: E402
from types import SimpleNamespace  # noqa: E402

from harness import MULTI_TESTS, SITE_KINDS, TESTS, TestFailure, TestSkipped  # noqa: E402


SERVERS = fixtures.stack.SERVERS
DATABASES = ("sqlite",) + fixtures.stack.DB_KINDS
# What configure defines when it builds a driver (build/config.log).
DRIVER_DEFINES = {"mariadb": "HAVE_MYSQL", "postgresql": "HAVE_PGSQL"}
DRIVER_NAMES = {"mariadb": "MariaDB/MySQL", "postgresql": "PostgreSQL"}
# The two web servers of the multi-server tests, when both are in the run.
MULTI_PAIR = ("lighttpd", "nginx")


def indent(text):
    return "".join(f"    # {line}\n" for line in str(text).rstrip().splitlines())


class Sites:
    """Starts the site of each kind once per web server, on first use."""

    def __init__(self, root, server, database="sqlite", db=None):
        """database: the pass's name; db: its DbServer (None for SQLite), on
        which each fixtures.Site gets a database of its own."""
        self.root = Path(root)
        self.server = server
        self.database = database
        self.db = db
        self.sites = {}   # kind -> Site
        self.failed = {}  # kind -> why the site did not start
        self.count = 0
        self.started = []  # every Site started, for responder_problems()

    def get(self, kind):
        if kind in self.failed:
            raise TestFailure(f"the {kind} site did not start (see above)")
        if kind in self.sites:
            return self.sites[kind]
        self.count += 1
        folder = self.root / f"{self.database}-{self.server}-{kind}-{self.count}"
        folder.mkdir()
        try:
            factory = SITE_KINDS.get(kind)
            if factory is not None:
                takes_db = "database" in inspect.signature(factory).parameters
                site = (factory(folder, self.server, database=self.db) if takes_db else
                        factory(folder, self.server))
            elif self.db is not None:
                database = self.db.database(f"{self.server}_{kind}_{self.count}")
                site = fixtures.Site(folder, self.server, kind, database=database)
            else:
                site = fixtures.Site(folder, self.server, kind)
        except Exception as e:
            self.failed[kind] = str(e)
            raise TestFailure(f"the {kind} site did not start:\n{e}")
        self.started.append(site)
        if kind != "own":
            self.sites[kind] = site
        return site

    def close(self):
        for site in self.sites.values():
            site.close()
        self.sites.clear()

    def responder_problems(self):
        """After close(): what went wrong with the responders of every site
        started (exit status, sanitizer reports), one message per problem."""
        problems = []
        for site in self.started:
            site.close()  # harmless when stopped already
            folder = site.stack.state_dir.parent.name
            problems += [f"{folder}: {p}" for p in site.stack.responder_problems()]
        return problems


def run_one(sites, test):
    """Runs test; returns None when it passed, the TestSkipped when it was
    skipped, else the reason."""
    site = None
    try:
        site = sites.get(test.kind)
        test.fn(site)
        return None
    except TestSkipped as e:
        return e
    except TestFailure as e:
        return str(e)
    except Exception:
        return traceback.format_exc()
    finally:
        if site is not None and test.kind == "own":
            site.close()


def save_logs(root):
    """Copies every site's log folder to $GATEHOUSE_ARTIFACTS/integration."""
    art = os.environ.get("GATEHOUSE_ARTIFACTS")
    if not art:
        return
    dest = Path(art) / "integration"
    shutil.rmtree(dest, ignore_errors=True)
    for log_dir in Path(root).glob("*/state/log"):
        shutil.copytree(log_dir, dest / log_dir.parent.parent.name)
    for db_dir in Path(root).glob("db-*"):
        for log in ("mysqld.log", "postgres.log", "install.log"):
            if (db_dir / log).is_file():
                (dest / db_dir.name).mkdir(parents=True, exist_ok=True)
                shutil.copy(db_dir / log, dest / db_dir.name / log)


def drivers_built():
    """{database: whether gatehouse was built with its driver}: from
    config.log in the build folder, else by asking gatehousectl."""
    build = fixtures.stack.BUILD_DIR
    try:
        text = (build / "config.log").read_text(errors="replace")
    except OSError:
        text = None
    if text is not None and "#define HAVE_" in text:
        return {db: f"#define {define} 1" in text for db, define in DRIVER_DEFINES.items()}
    built = {}
    with tempfile.TemporaryDirectory() as tmp:
        for db, scheme in (("mariadb", "mysql"), ("postgresql", "postgresql")):
            conf = Path(tmp) / f"{db}.conf"
            conf.write_text(f"[general]\nsql_dir = {fixtures.stack.SRC_DIR / 'sql'}\n"
                            f"[database]\nurl = {scheme}://probe@127.0.0.1:1/probe\n")
            try:
                proc = subprocess.run([str(build / "gatehousectl"), "--config", str(conf),
                                       "migrate", "status"], capture_output=True, text=True,
                                      stdin=subprocess.DEVNULL, timeout=30)
                built[db] = "built without" not in proc.stdout + proc.stderr
            except (OSError, subprocess.TimeoutExpired):
                built[db] = False
    return built


def runs_in(test, database, first_pass):
    """Whether test runs in the pass of database (see harness.Test.databases)."""
    if test.databases is not None:
        return database in test.databases
    return first_pass or test.kind not in SITE_KINDS


class Counts:
    def __init__(self):
        self.passed = self.failed = 0

    def report(self, label, why):
        """Prints the line of a test; why None: it passed; a TestSkipped:
        a "# skip" line, counted neither way."""
        if isinstance(why, TestSkipped):
            print(f"# skip {label}: {why}", flush=True)
        elif why is None:
            self.passed += 1
            print(f"ok - {label}", flush=True)
        else:
            self.failed += 1
            print(f"not ok - {label}\n{indent(why)}", end="", flush=True)


def run_server(root, counts, database, db, server, tests, first_pass):
    """The tests of one pass under one web server, then its responder check."""
    sites = Sites(root, server, database, db)
    try:
        for test in tests:
            if test.servers is not None and server not in test.servers:
                continue
            if not runs_in(test, database, first_pass):
                continue
            label = f"{database}/{server}/{test.name}"
            if test.tls and not fixtures.stack.tls_supported(server):
                print(f"# skip {label}: {fixtures.stack.TLS_MODULES[server]} "
                      "is not installed", flush=True)
                continue
            counts.report(label, run_one(sites, test))
    finally:
        sites.close()
    if sites.started:
        problems = sites.responder_problems()
        counts.report(f"{database}/{server}/responders_exit_clean",
                      "\n".join(problems) if problems else None)


def run_multi(root, counts, database, db, servers, tests):
    """The multi-server tests: two sites on one database of db, a pair per
    kind of site the tests name (harness.multi_server_test), in the order
    of each kind's first test; each pair is stopped before the next starts."""
    kinds = []
    for test in tests:
        if test.kind not in kinds:
            kinds.append(test.kind)
    for kind in kinds:
        run_multi_kind(root, counts, database, db, servers, kind,
                       [test for test in tests if test.kind == kind])


def run_multi_kind(root, counts, database, db, servers, kind, tests):
    """The multi-server tests of one kind of site, on a pair of that kind:
    the database "multi" for the main kind, "multi_KIND" for another; the
    labels are DATABASE/SERVER+SERVER/NAME, and the pair's responder check
    DATABASE/SERVER+SERVER/responders_exit_clean (_KIND after it but for
    the main kind)."""
    first = next((s for s in MULTI_PAIR if s in servers), servers[0])
    second = next((s for s in MULTI_PAIR + tuple(servers) if s in servers and s != first),
                  first)
    prefix = f"{database}/{first}+{second}"
    name = "multi" if kind == "main" else f"multi_{kind}"
    sites = []
    try:
        try:
            shared = db.database(name)
            for n, server in enumerate((first, second), 1):
                folder = Path(root) / f"{database}-{name}-{n}-{server}"
                folder.mkdir()
                site = fixtures.Site(folder, server, kind, database=shared)
                site.label = f"{server} (port {site.stack.port})"
                sites.append(site)
        except Exception as e:
            why = f"the two sites ({kind}) did not start:\n{e}"
            for test in tests:
                counts.report(f"{prefix}/{test.name}", why)
            return
        pair = SimpleNamespace(first=sites[0], second=sites[1])
        for test in tests:
            try:
                test.fn(pair)
                why = None
            except TestSkipped as e:
                why = e
            except TestFailure as e:
                why = str(e)
            except Exception:
                why = traceback.format_exc()
            counts.report(f"{prefix}/{test.name}", why)
    finally:
        for site in sites:
            site.close()
    problems = []
    for site in sites:
        problems += [f"{site.stack.state_dir.parent.name}: {p}"
                     for p in site.stack.responder_problems()]
    suffix = "" if kind == "main" else f"_{kind}"
    counts.report(f"{prefix}/responders_exit_clean{suffix}",
                  "\n".join(problems) if problems else None)


def import_test_modules(counts, folder=TEST_DIR):
    """Imports every test_*.py of folder, sorted by name: each registers
    its tests on import (harness.test, multi_server_test), so a new module
    runs without being named here.  A module that fails to import, or
    registers no test, is a failing line "import/MODULE"; what a module
    registered before it failed is dropped."""
    folder = Path(folder).resolve()
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    paths = {path.stem: path for path in sorted(folder.glob("test_*.py"))}
    failed = {}  # module name -> why
    for name, path in paths.items():
        try:
            importlib.import_module(name)
        except Exception as e:
            # From the module's own frame on (none for a syntax error).
            tb = e.__traceback__
            while tb is not None and tb.tb_frame.f_code.co_filename != str(path):
                tb = tb.tb_next
            failed[name] = (f"{path.name} failed to import:\n" +
                            "".join(traceback.format_exception(type(e), e, tb)))
    # Told by the module of each test's function, not by what each import
    # added: a test module may import another.
    registered = {test.fn.__module__ for test in TESTS + MULTI_TESTS}
    for name, path in paths.items():
        if name not in registered and name not in failed:
            failed[name] = (f"{path.name} registers no test "
                            "(harness.test or harness.multi_server_test)")
    TESTS[:] = [test for test in TESTS if test.fn.__module__ not in failed]
    MULTI_TESTS[:] = [test for test in MULTI_TESTS if test.fn.__module__ not in failed]
    for kind, factory in list(SITE_KINDS.items()):
        if getattr(factory, "__module__", None) in failed:
            del SITE_KINDS[kind]
    for name in paths:
        if name in failed:
            counts.report(f"import/{name}", failed[name])


def stop_on_sigterm(signum, frame):
    # Turned into an exception so that the finally blocks stop the sites.
    raise KeyboardInterrupt()


def main():
    parser = argparse.ArgumentParser(description="Gatehouse integration tests")
    parser.add_argument("-k", dest="pattern", default="", help="run tests whose name has this")
    parser.add_argument("--server", choices=SERVERS, action="append",
                        help="only this web server (repeatable)")
    parser.add_argument("--database", choices=DATABASES + ("all",), action="append",
                        help="only this database (repeatable; default: all that are built)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--list", action="store_true",
                        help="print the name of each test instead of running it")
    parser.add_argument("--tests-dir", type=Path, default=TEST_DIR,
                        help="import the test_*.py of this folder (default: this one's)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, stop_on_sigterm)

    counts = Counts()
    import_test_modules(counts, args.tests_dir)
    tests = [t for t in TESTS if args.pattern in t.name]
    multi_tests = [t for t in MULTI_TESTS if args.pattern in t.name]
    if args.list:
        for test in tests + multi_tests:
            print(test.name)
        print(f"{counts.passed} passed, {counts.failed} failed")
        return 1 if counts.failed else 0
    servers = tuple(s for s in SERVERS if s in (args.server or SERVERS))
    wanted = args.database or ["all"]
    databases = [d for d in DATABASES if "all" in wanted or d in wanted]
    built = drivers_built()
    root = tempfile.mkdtemp(prefix="gatehouse-it-")
    os.chmod(root, 0o711)  # Apache's workers (www-data) pass through it
    start = time.monotonic()
    first_pass = True
    try:
        for database in databases:
            if database != "sqlite" and not built.get(database):
                print(f"# skip {database}: gatehouse was built without the "
                      f"{DRIVER_NAMES[database]} driver ({DRIVER_DEFINES[database]} not in "
                      f"{fixtures.stack.BUILD_DIR / 'config.log'})", flush=True)
                continue
            pass_start = time.monotonic()
            db = None
            try:
                if database != "sqlite":
                    try:
                        db = fixtures.stack.DbServer(database, Path(root) / f"db-{database}")
                        db.start()
                    except Exception as e:
                        counts.report(f"{database}/database_server_start", str(e))
                        continue
                    print(f"# {database}: server started in "
                          f"{time.monotonic() - pass_start:.1f} s ({db.url})", flush=True)
                for server in servers:
                    run_server(root, counts, database, db, server, tests, first_pass)
                if db is not None and multi_tests:
                    run_multi(root, counts, database, db, servers, multi_tests)
            finally:
                if db is not None:
                    try:
                        db.stop()
                    except Exception as e:
                        counts.report(f"{database}/database_server_stop", str(e))
            first_pass = False
            print(f"# {database}: {time.monotonic() - pass_start:.1f} s", flush=True)
    except KeyboardInterrupt:
        counts.failed += 1
        print("not ok - interrupted", flush=True)
    finally:
        save_logs(root)
        if args.keep:
            print(f"# kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print(f"# {time.monotonic() - start:.1f} s")
    print(f"{counts.passed} passed, {counts.failed} failed")
    return 1 if counts.failed else 0


if __name__ == "__main__":
    sys.exit(main())
