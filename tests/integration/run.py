#!/usr/bin/env python3
"""Gatehouse integration tests: the real programs behind real web servers.

Every test runs under lighttpd, Apache and nginx (the same test body), each
against a site started by deploy/stack.py in a temporary folder that is
removed afterwards.  Prints one line per test, "ok - SERVER/NAME" or
"not ok - SERVER/NAME" with the reason indented below it, and ends with
"N passed, N failed"; exits 1 when a test failed.

After the tests of each web server, one more line, SERVER/responders_exit_clean,
checks every responder those tests started: each must have exited with status
0 when its site stopped, and its log must hold no sanitizer report (ASan,
LSan, UBSan) and no "workers still busy" (see deploy/stack.py,
Stack.responder_problems).  Against a sanitizer build
(GATEHOUSE_BUILD_DIR=build-asan) this is where a leak or a memory error found
by the responders fails the suite.

    python3 tests/integration/run.py [-k SUBSTRING] [--server lighttpd|apache|nginx] [--keep]

Needs the programs in build/ (or $GATEHOUSE_BUILD_DIR), spawn-fcgi,
lighttpd, apache2, nginx (nginx-light), fcgiwrap
and openssl.  When $GATEHOUSE_ARTIFACTS is set, the logs
of every site are copied to $GATEHOUSE_ARTIFACTS/integration/.
"""

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fixtures  # noqa: E402
from harness import TESTS, TestFailure  # noqa: E402

# The test modules register their tests on import.
import test_check  # noqa: E402,F401
import test_login  # noqa: E402,F401
import test_logout  # noqa: E402,F401
import test_requests  # noqa: E402,F401
import test_responders  # noqa: E402,F401
import test_sessions  # noqa: E402,F401

SERVERS = fixtures.stack.SERVERS


def indent(text):
    return "".join(f"    # {line}\n" for line in str(text).rstrip().splitlines())


class Sites:
    """Starts the site of each kind once per web server, on first use."""

    def __init__(self, root, server):
        self.root = Path(root)
        self.server = server
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
        folder = self.root / f"{self.server}-{kind}-{self.count}"
        folder.mkdir()
        try:
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
    """Runs test; returns None when it passed, else the reason."""
    site = None
    try:
        site = sites.get(test.kind)
        test.fn(site)
        return None
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


def stop_on_sigterm(signum, frame):
    # Turned into an exception so that the finally blocks stop the sites.
    raise KeyboardInterrupt()


def main():
    parser = argparse.ArgumentParser(description="Gatehouse integration tests")
    parser.add_argument("-k", dest="pattern", default="", help="run tests whose name has this")
    parser.add_argument("--server", choices=SERVERS, action="append",
                        help="only this web server (repeatable)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, stop_on_sigterm)

    tests = [t for t in TESTS if args.pattern in t.name]
    passed = failed = 0
    root = tempfile.mkdtemp(prefix="gatehouse-it-")
    os.chmod(root, 0o711)  # Apache's workers (www-data) pass through it
    start = time.monotonic()
    try:
        for server in args.server or SERVERS:
            sites = Sites(root, server)
            try:
                for test in tests:
                    label = f"{server}/{test.name}"
                    if test.tls and not fixtures.stack.tls_supported(server):
                        print(f"# skip {label}: {fixtures.stack.TLS_MODULES[server]} "
                              "is not installed", flush=True)
                        continue
                    why = run_one(sites, test)
                    if why is None:
                        passed += 1
                        print(f"ok - {label}", flush=True)
                    else:
                        failed += 1
                        print(f"not ok - {label}\n{indent(why)}", end="", flush=True)
            finally:
                sites.close()
            if sites.started:
                label = f"{server}/responders_exit_clean"
                problems = sites.responder_problems()
                if not problems:
                    passed += 1
                    print(f"ok - {label}", flush=True)
                else:
                    failed += 1
                    print(f"not ok - {label}\n{indent(chr(10).join(problems))}", end="",
                          flush=True)
    except KeyboardInterrupt:
        failed += 1
        print("not ok - interrupted", flush=True)
    finally:
        save_logs(root)
        if args.keep:
            print(f"# kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print(f"# {time.monotonic() - start:.1f} s")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
