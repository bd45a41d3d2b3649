"""What an integration test is: a function registered under a name that
says the behaviour it checks, the kind of site it needs (see fixtures.py),
and check() to state its expectations (skip() when what it checks cannot
be tried on this machine, e.g. without root).  run.py imports every test_*.py of
this folder, which registers its tests on import: a new module needs no
other change, and one that registers none fails the run.

A test module may add a kind of site of its own with site_kind() (a test
of the external user store needs a MariaDB server beside the site, say),
and may restrict a test to some web servers (servers=...) when what it
checks does not depend on the web server and the site is costly."""

from dataclasses import dataclass


class TestFailure(Exception):
    """A test's expectation did not hold."""


class TestSkipped(Exception):
    """What the test checks cannot be tried here; run.py prints
    "# skip LABEL: reason" and counts the test neither way."""


def skip(reason):
    """Ends the test as skipped, for reason (say what is missing)."""
    raise TestSkipped(reason)


def check(cond, message, response=None):
    """Fails the test with message (and the answer, when given) unless cond."""
    if not cond:
        if response is not None:
            message += "\n" + str(response)
        raise TestFailure(message)


@dataclass
class Test:
    name: str
    fn: object
    kind: str
    tls: bool
    servers: tuple = None  # None: every web server
    # The database passes of run.py (sqlite, mariadb, postgresql) it runs
    # in; None: every one for the kinds of fixtures.Site, the first pass of
    # the run only for a kind of site_kind() (whose factory starts what it
    # needs itself).
    databases: tuple = None


TESTS = []

# kind -> factory(folder, server) returning a started site: an object with
# the .stack (deploy/stack.py Stack) the runner inspects and a .close() that
# stops whatever the site started (harmless when called twice).  Kinds not
# here are fixtures.Site's.
SITE_KINDS = {}


def test(name, kind="main", tls=False, servers=None, databases=None):
    """Registers fn(site) as the test name, run under every web server (or
    only those in servers) on a site of the given kind; tls: the test needs
    the server's TLS module; databases: only in these passes of run.py
    (see Test.databases)."""
    def register(fn):
        TESTS.append(Test(name, fn, "tls" if tls else kind, tls,
                          tuple(servers) if servers else None,
                          tuple(databases) if databases else None))
        return fn
    return register


# Tests of several web servers sharing one server database: fn(pair), where
# pair.first and pair.second are fixtures.Site objects on two ports, each
# with its own responders, on the same MariaDB or PostgreSQL database.  run.py
# runs them once per server database (not on SQLite), the tests of one kind
# of site (a kind of fixtures.SETTINGS, "main" by default) on one pair, each
# kind's pair on a database of its own.
MULTI_TESTS = []


def multi_server_test(name, kind="main"):
    """Registers fn(pair) as the multi-server test name, on a pair of sites
    of the given kind (fixtures.Site's kinds, not those of site_kind)."""
    def register(fn):
        MULTI_TESTS.append(Test(name, fn, kind, False))
        return fn
    return register


def site_kind(name):
    """Registers factory(folder, server) as the maker of the sites of kind
    name (one per web server, shared by the tests of that kind).  When the
    factory also takes a keyword argument database, it gets the pass's
    server database (deploy/stack.py DbServer; None on the SQLite pass)."""
    def register(factory):
        SITE_KINDS[name] = factory
        return factory
    return register
