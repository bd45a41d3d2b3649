"""Brute-force defence (gatehouse-login(8) LOCKOUT and THROTTLING): the
lockout per account and the throttle per client address, as an attacker
meets them.  What a client sees (the locked account's page, the 429 with
Retry-After and the security headers, X-Forwarded-For ignored) under every
web server; the rest, database behaviour, under lighttpd only; every
database."""

import json
import os
import re
import secrets
import statistics
import time

from client import Client, CookieJar, form_field
from fixtures import LOCKOUT_THRESHOLD, LOGIN, THROTTLE_MAX
from harness import check, test
from test_login import assert_same_page, failed_login

LIGHTTPD = ("lighttpd",)


def audit_rows(site, *args):
    """The audit rows `gatehousectl audit list ARGS` gives, as dicts."""
    out = site.stack.ctl("audit", "list", "--format", "json", *args).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def user_state(site, name):
    """gatehousectl user show NAME, as a dict."""
    out = site.stack.ctl("user", "show", name).stdout
    return dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)


def lock(site, name, password):
    """Refuses name LOCKOUT_THRESHOLD times; returns the last answer."""
    for _ in range(LOCKOUT_THRESHOLD):
        r = failed_login(site, name, password + "x")
    check(user_state(site, name)["locked"] == "yes", f"{name} should be locked")
    return r


@test("lockout_refuses_right_password_like_unknown_user", kind="lockout")
def lockout_refuses_right_password_like_unknown_user(site):
    name, password = site.new_user("locked")
    wrong = lock(site, name, password)
    locked = site.post_login(CookieJar(), name, password)  # the right password
    unknown = site.post_login(CookieJar(), "nosuchlockeduser", password)
    assert_same_page(wrong, name, locked, name, "right password while locked")
    assert_same_page(wrong, name, unknown, "nosuchlockeduser", "unknown user")
    state = user_state(site, name)
    check(state["failed_login_attempts"] == str(LOCKOUT_THRESHOLD),
          f"refusals during the lockout are not counted: {state}")
    # After the back-off (lockout_base = 3 s) the right password works and
    # sets the count back.
    time.sleep(max(0.0, int(state["locked_until"]) + 1.1 - time.time()))
    site.login(name, password)
    state = user_state(site, name)
    check(state["failed_login_attempts"] == "0" and state["locked"] == "no",
          f"a successful login resets the count: {state}")


@test("lockout_unknown_name_answers_the_same", kind="lockout", servers=LIGHTTPD)
def lockout_unknown_name_answers_the_same(site):
    name, password = site.new_user("known")
    wrong = failed_login(site, name, password + "x")
    ghost = "ghost" + secrets.token_hex(4)
    for _ in range(LOCKOUT_THRESHOLD + 2):
        r = failed_login(site, ghost, password)
        assert_same_page(wrong, name, r, ghost, "unknown name past the threshold")
    text = site.stack.ctl("user", "list").stdout
    check(ghost not in text, "an unknown name must not become a user")


@test("lockout_user_show_and_unlock", kind="lockout", servers=LIGHTTPD)
def lockout_user_show_and_unlock(site):
    name, password = site.new_user("unlockme")
    lock(site, name, password)
    state = user_state(site, name)
    check(int(state["locked_until"]) > time.time() - 1, f"user show: {state}")
    r = site.post_login(CookieJar(), name, password)
    check(r.status == 401, "locked: the right password is refused", r)
    proc = site.stack.ctl("user", "unlock", name)
    check(proc.returncode == 0, f"user unlock: {proc.stderr}")
    check(user_state(site, name)["locked"] == "no", "unlocked")
    # One audit row when the lockout started, one for the unlock.
    for event, result in (("lockout", "failure"), ("unlock", "success")):
        found = audit_rows(site, "--user", name, "--event", event)
        check(len(found) == 1 and found[0]["result"] == result,
              f"expected exactly one {event} row ({result}), got {found}")
    context = audit_rows(site, "--user", name, "--event", "lockout")[0]["context"]
    check(context.get("username") == name and context.get("failures") == LOCKOUT_THRESHOLD,
          f"the lockout row's context: {context}")
    site.login(name, password)
    proc = site.stack.ctl("user", "unlock", "nosuchuser" + secrets.token_hex(3), check=False)
    check(proc.returncode != 0, "user unlock of an unknown user fails")


@test("lockout_takes_the_same_time_as_unknown_user", kind="timing")
def lockout_takes_the_same_time_as_unknown_user(site):
    # The timing site keeps the default lockout (5 refusals, 1 min): the
    # right password of a locked user is verified all the same, and the
    # refusal runs the statements of any other; interleaved medians.
    name, password = site.new_user("timedlock")
    other, other_pw = site.new_user("timedother")
    for _ in range(5):
        site.post_login(CookieJar(), name, password + "x")
    check(user_state(site, name)["locked"] == "yes", f"{name} should be locked")
    cases = {"locked, right password": (name, password),
             "unknown user": ("nosuchtimedlockuser", password),
             "wrong password": (other, other_pw + "x")}
    times = {case: [] for case in cases}
    for attempt in range(6):
        for case, (user, pw) in cases.items():
            r = site.post_login(CookieJar(), user, pw)
            check(r.status == 401, f"{case}: expected 401", r)
            if attempt > 0:
                times[case].append(r.elapsed)
    base = statistics.median(times["unknown user"])
    for case in ("locked, right password", "wrong password"):
        ratio = statistics.median(times[case]) / base
        check(0.5 <= ratio <= 2.0,
              f"{case}: median {statistics.median(times[case]) * 1000:.1f} ms against "
              f"{base * 1000:.1f} ms for an unknown user (ratio {ratio:.2f}, allowed 0.5 to 2)")


def cpu_seconds(pid):
    """utime + stime of process pid (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Attacker:
    """A client from one loopback address with its pre-login cookie and
    CSRF token, as a script would keep them."""

    def __init__(self, site, source):
        self.site = site
        self.client = Client(site.stack.port, source=source, keep_alive=True)
        self.jar = CookieJar()
        r = self.client.get(LOGIN, jar=self.jar)
        check(r.status == 200, f"GET {LOGIN} from {source}", r)
        self.csrf = form_field(r.text, "csrf")

    def try_login(self, name, password, headers=None):
        return self.client.post_form(LOGIN, {"username": name, "password": password,
                                             "csrf": self.csrf}, jar=self.jar, headers=headers)

    def close(self):
        self.client.close()


@test("throttle_flood_429_before_any_hash", kind="throttle")
def throttle_flood_429_before_any_hash(site):
    pid = site.stack.responders["login"].pid
    a = Attacker(site, "127.0.0.3")
    name, password = site.new_user("flooded")
    start = cpu_seconds(pid)
    for _ in range(THROTTLE_MAX):
        r = a.try_login(name, password + "x")
        check(r.status == 401, "below the limit: 401", r)
    per_hash = (cpu_seconds(pid) - start) / THROTTLE_MAX
    flood = 60
    start = cpu_seconds(pid)
    for i in range(flood):
        r = a.try_login(name, password if i == flood // 2 else password + "x")
        check(r.status == 429, "over the limit: 429", r)
        retry = r.header("Retry-After") or ""
        check(re.fullmatch(r"[1-9][0-9]*", retry) and int(retry) <= 60,
              f"429 with Retry-After in seconds, got {retry!r}", r)
        check(r.header("Content-Security-Policy"), "the 429 has the security headers", r)
    per_refusal = (cpu_seconds(pid) - start) / flood
    check(per_refusal < per_hash / 5,
          f"a throttled request costs {per_refusal * 1000:.2f} ms of the login's CPU, a "
          f"refusal with a hash {per_hash * 1000:.2f} ms: no hash may be computed")
    # X-Forwarded-For from a client that is no trusted proxy changes nothing.
    r = a.try_login(name, password, headers={"X-Forwarded-For": "192.0.2.77"})
    check(r.status == 429, "X-Forwarded-For from an untrusted client is ignored", r)
    a.close()
    # The block is one audit row, when it started; the 60 refused requests
    # are none (a flood cannot fill the audit trail).
    blocks = [row for row in audit_rows(site, "--event", "throttled")
              if row["context"].get("client") == "ip:127.0.0.3"]
    check(len(blocks) == 1 and blocks[0]["ip"] == "127.0.0.3",
          f"expected exactly one throttled row for 127.0.0.3, got {blocks}")
    # Another address is not affected: the right password works there.
    b = Attacker(site, "127.0.0.4")
    r = b.try_login(name, password)
    check(r.status == 303, "a second address logs in", r)
    b.close()


@test("throttle_brute_force_run_gets_nowhere", kind="throttle", servers=LIGHTTPD)
def throttle_brute_force_run_gets_nowhere(site):
    # A script: thousands of tries over user names (real ones and guesses)
    # and a password list that holds a real password, from four addresses.
    users = [site.new_user("victim") for _ in range(3)]
    names = [n for n, _ in users] + ["admin", "root", "test", "info", "victim9"]
    words = ["123456", "password", "qwerty", "letmein", "Passw0rd!", users[0][1]]
    words += [secrets.token_urlsafe(8) for _ in range(40)]
    attackers = [Attacker(site, f"127.0.0.{n}") for n in range(5, 9)]
    statuses = {}
    tries = 0
    for word in words:
        for name in names:
            for a in attackers:
                r = a.try_login(name, word)
                statuses[r.status] = statuses.get(r.status, 0) + 1
                tries += 1
    for a in attackers:
        a.close()
    check(tries >= 1000, f"only {tries} tries")
    check(set(statuses) <= {401, 429}, f"answers: {statuses} (no 303, no 5xx)")
    check(statuses.get(401, 0) <= THROTTLE_MAX * len(attackers),
          f"at most {THROTTLE_MAX} refusals with a hash per address: {statuses}")
    # The database is intact: the users are there, and one logs in (after an
    # unlock, the run may have locked it) from an address of its own.
    listed = site.stack.ctl("user", "list").stdout
    for name, _ in users:
        check(name in listed, f"user {name} is still there: {listed}")
    site.stack.ctl("user", "unlock", users[0][0])
    r = Attacker(site, "127.0.0.9").try_login(*users[0])
    check(r.status == 303, "the user logs in from another address", r)
