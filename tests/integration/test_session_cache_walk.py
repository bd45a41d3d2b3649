"""The check's session cache under a random walk (issue 11): logins,
logouts, revocations, role and password changes and checks on either of two
sites on one MariaDB or PostgreSQL database never grant a session past the
revocation bound after its end, and always grant a live one (with what it
granted at login).  The seed is printed (GATEHOUSE_TEST_CACHE_SEED overrides
it).
"""

import os
import random
import time

from client import CookieJar
from fixtures import COOKIE, LOGIN, LOGOUT
from harness import check, multi_server_test
from cache_support import (RANDOM_SECONDS, RANDOM_SEED, RANDOM_STEPS, session_id, wait_cache_on)


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
