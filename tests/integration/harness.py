"""What an integration test is: a function registered under a name that
says the behaviour it checks, the kind of site it needs (see fixtures.py),
and check() to state its expectations."""

from dataclasses import dataclass


class TestFailure(Exception):
    """A test's expectation did not hold."""


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


TESTS = []


def test(name, kind="main", tls=False):
    """Registers fn(site) as the test name, run under every web server on a
    site of the given kind; tls: the test needs the server's TLS module."""
    def register(fn):
        TESTS.append(Test(name, fn, "tls" if tls else kind, tls))
        return fn
    return register
