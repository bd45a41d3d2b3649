"""The soak's mixed load (tests/soak/run.py): client threads that log in,
visit pages, log out and send malformed and hostile requests, each answer
checked against the status its kind must get (EXPECTED), and the Ledger of
the sessions they made, which run.py compares with the database.

Only the Python standard library."""

import collections
import hashlib
import http.client
import random
import secrets
import socket
import threading
import time
import traceback

from client import Client, CookieJar, Response, form_field

MAX_ACTIONS = 1_000_000   # per thread: a bound besides the clock
REQUEST_TIMEOUT = 15.0    # seconds for one answer

LOGIN, LOGOUT, COOKIE = "/auth/login", "/auth/logout", "gatehouse"

# The status each kind of request must get (doc/behaviour.md).
EXPECTED = {
    "login_form": {200},
    "login_ok": {303},
    "relogin_ok": {303},
    "page_private": {200},
    "page_admin_no_role": {403},
    "page_public": {200},
    "private_no_session": {302},
    "private_made_up_session": {302},
    "private_after_logout": {302},
    "private_after_relogin_old": {302},
    "api_no_session": {401},
    "logout_form": {200},
    "logout_ok": {200},
    "logout_no_session": {200},
    "login_wrong_password": {401},
    "login_unknown_user": {401},
    "login_wrong_csrf": {403},
    "login_bad_percent": {400},
    "login_nul_byte": {400},
    "login_oversized": {413},
    # Another application's malformed cookies are skipped, not refused.
    "foreign_malformed_cookie": {200},
    "broken_http": {400},
}


class SoakError(Exception):
    """A request's answer was not usable to go on (e.g. no CSRF field)."""


def soak_client(port):
    """One keep-alive connection to the site (client.Client)."""
    return Client(port, timeout=REQUEST_TIMEOUT, keep_alive=True, user_agent="gatehouse-soak")


def session_id(token):
    """sessions.id for a cookie token: the hex SHA-256 of the token."""
    return hashlib.sha256(token.encode()).hexdigest()


class Ledger:
    """What the clients know about the sessions they made.  A session is
    open (logged in, its logout not begun), closing (logout or re-login in
    flight: either state is right in the database) or closed (logged out or
    replaced: must not be live).  logins_in_flight counts login POSTs whose
    session may already exist but is not recorded yet."""

    def __init__(self):
        self.lock = threading.Lock()
        self.state = {}  # session id -> "open" | "closing" | "closed"
        self.user = {}   # session id -> user name
        self.logins_in_flight = 0
        self.logins = 0

    def begin_login(self):
        with self.lock:
            self.logins_in_flight += 1

    def end_login(self, token, user):
        with self.lock:
            self.logins_in_flight -= 1
            if token is not None:
                sid = session_id(token)
                self.state[sid] = "open"
                self.user[sid] = user
                self.logins += 1

    def set(self, token, state):
        with self.lock:
            self.state[session_id(token)] = state


class Load:
    """The client threads and their counts."""

    def __init__(self, site, users, victim, seconds, threads, seed):
        self.site = site
        self.users = users            # [(name, password)]
        self.victim = victim          # a user who only ever gets wrong passwords
        self.deadline = None
        self.seconds = seconds
        self.nthreads = threads
        self.seed = seed
        self.ledger = Ledger()
        self.counts = collections.Counter()    # (kind, status) -> n
        self.examples = {}                     # (kind, status) -> a description
        self.errors = collections.Counter()    # kind -> transport errors
        self.error_examples = []
        self.stop = threading.Event()
        self.pause = threading.Event()
        self.paused = threading.Semaphore(0)
        self.resume = threading.Event()
        self.lock = threading.Lock()
        self.threads = []
        self.retries = 0

    # -- Bookkeeping ---------------------------------------------------------

    def note(self, kind, r, what=""):
        with self.lock:
            self.counts[(kind, r.status)] += 1
            if r.status not in EXPECTED[kind] and (kind, r.status) not in self.examples:
                self.examples[(kind, r.status)] = f"{what}\n{str(r)[:600]}"
        return r.status in EXPECTED[kind]

    def note_error(self, kind, exc):
        with self.lock:
            self.errors[kind] += 1
            if len(self.error_examples) < 5:
                self.error_examples.append(f"{kind}: {exc!r}")

    # -- Actions -----------------------------------------------------------

    def login(self, c, user, jar, kind="login_ok"):
        """Form and POST; returns the new session token or None."""
        r = c.request("GET", LOGIN, jar=jar)
        self.note("login_form", r)
        csrf = form_field(r.text, "csrf")
        if r.status != 200 or not csrf:
            raise SoakError("the login form has no csrf field")
        name, password = user
        self.ledger.begin_login()
        token = None
        try:
            r = c.post_form(LOGIN, {"username": name, "password": password, "csrf": csrf},
                            jar=jar)
            if self.note(kind, r, f"login as {name}"):
                cookie = r.cookie(COOKIE)
                token = cookie.value if cookie is not None and not cookie.deletes else None
                if token is None:
                    self.note(kind, Response(599, r.headers, b"no session cookie", 0),
                              "the 303 set no session cookie")
        finally:
            self.ledger.end_login(token, name)
        return token

    def logout(self, c, jar, token):
        self.ledger.set(token, "closing")
        r = c.request("GET", LOGOUT, jar=jar)
        self.note("logout_form", r)
        csrf = form_field(r.text, "csrf")
        if r.status != 200 or not csrf:
            raise SoakError("the logout form has no csrf field")
        r = c.post_form(LOGOUT, {"csrf": csrf}, jar=jar)
        if self.note("logout_ok", r):
            self.ledger.set(token, "closed")
        dead = CookieJar(**{COOKIE: token})
        self.note("private_after_logout", c.request("GET", "/private/", jar=dead))

    def visit(self, c, rnd):
        jar = CookieJar()
        token = self.login(c, rnd.choice(self.users), jar)
        if token is None:
            return
        for _ in range(rnd.randint(2, 8)):
            self.note("page_private", c.request("GET", "/private/", jar=jar))
        if rnd.random() < 0.3:
            self.note("page_admin_no_role", c.request("GET", "/admin/", jar=jar))
        self.logout(c, jar, token)

    def keep_open(self, c, rnd, held):
        """A login whose session stays open to the end (at most a few per
        thread); later turns check it again or log in again over it."""
        if len(held) < 3:
            jar = CookieJar()
            token = self.login(c, rnd.choice(self.users), jar)
            if token is not None:
                held.append((jar, token))
            return
        i = rnd.randrange(len(held))
        jar, token = held[i]
        if rnd.random() < 0.7:
            self.note("page_private", c.request("GET", "/private/", jar=jar))
            return
        # Log in again with the session cookie: a new session, the old one
        # revoked (no fixation).
        self.ledger.set(token, "closing")
        new = self.login(c, rnd.choice(self.users), jar, kind="relogin_ok")
        if new is None:
            return
        self.ledger.set(token, "closed")
        held[i] = (jar, new)
        old = CookieJar(**{COOKIE: token})
        self.note("private_after_relogin_old", c.request("GET", "/private/", jar=old))

    def bad(self, c, rnd):
        """One request the site must refuse (or answer without a session)."""
        choice = rnd.randrange(12)
        jar = CookieJar()
        if choice <= 2:
            r = c.request("GET", LOGIN, jar=jar)
            self.note("login_form", r)
            csrf = form_field(r.text, "csrf") or "x"
            if choice == 0:
                self.note("login_wrong_password", c.post_form(
                    LOGIN, {"username": self.victim, "password": secrets.token_urlsafe(12),
                            "csrf": csrf}, jar=jar))
            elif choice == 1:
                self.note("login_unknown_user", c.post_form(
                    LOGIN, {"username": "nobody" + secrets.token_hex(4),
                            "password": secrets.token_urlsafe(12), "csrf": csrf}, jar=jar))
            else:
                self.note("login_wrong_csrf", c.post_form(
                    LOGIN, {"username": self.users[0][0], "password": self.users[0][1],
                            "csrf": secrets.token_urlsafe(16)}, jar=jar))
        elif choice == 3:
            self.note("login_form", c.request("GET", LOGIN, jar=jar))
            body = rnd.choice([b"username=%zz&password=x&csrf=x", b"username=a%2&password=x",
                               b"username=a&password=%"])
            self.note("login_bad_percent", c.post_form(LOGIN, body, jar=jar))
        elif choice == 4:
            self.note("login_form", c.request("GET", LOGIN, jar=jar))
            body = rnd.choice([b"username=a%00b&password=x&csrf=x",
                               b"username=a\x00b&password=x&csrf=x"])
            self.note("login_nul_byte", c.post_form(LOGIN, body, jar=jar))
        elif choice == 5:
            self.note("login_form", c.request("GET", LOGIN, jar=jar))
            body = b"username=" + b"a" * 20000 + b"&password=x&csrf=x"
            self.note("login_oversized", c.post_form(LOGIN, body, jar=jar))
        elif choice == 6:
            cookie = rnd.choice(["this is not a cookie", "gatehouse", "=;=;="])
            self.note("foreign_malformed_cookie",
                      c.request("GET", LOGIN, headers={"Cookie": cookie}))
        elif choice == 7:
            self.note("private_no_session", c.request("GET", "/private/"))
            self.note("page_public", c.request("GET", "/"))
        elif choice == 8:
            made_up = CookieJar(**{COOKIE: secrets.token_urlsafe(32)})
            self.note("private_made_up_session", c.request("GET", "/private/", jar=made_up))
        elif choice == 9:
            self.note("api_no_session", c.request(
                "GET", "/private/", headers={"Accept": "application/json"}))
        elif choice == 10:
            self.note("logout_no_session", c.request("GET", LOGOUT))
        else:
            self.broken_http()

    def broken_http(self):
        """A request line that is not HTTP, on a connection of its own."""
        with socket.create_connection(("127.0.0.1", self.site.port),
                                      timeout=REQUEST_TIMEOUT) as s:
            s.sendall(b"GET /private/ HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n")
            data = b""
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        try:
            status = int(data.split(b" ", 2)[1])
        except (IndexError, ValueError):
            status = 598  # no status line
        self.note("broken_http", Response(status, [], data[:300], 0))

    # -- Threads -----------------------------------------------------------

    def worker(self, index):
        rnd = random.Random(self.seed * 1000 + index)
        c = soak_client(self.site.port)
        held = []
        try:
            for _ in range(MAX_ACTIONS):
                if self.stop.is_set() or time.monotonic() >= self.deadline:
                    break
                if self.pause.is_set():
                    c.close()
                    self.paused.release()
                    self.resume.wait(60)
                    continue
                x = rnd.random()
                kind = "visit" if x < 0.45 else "keep_open" if x < 0.65 else "bad"
                try:
                    if kind == "visit":
                        self.visit(c, rnd)
                    elif kind == "keep_open":
                        self.keep_open(c, rnd, held)
                    else:
                        self.bad(c, rnd)
                except (OSError, http.client.HTTPException, SoakError) as e:
                    self.note_error(kind, e)
                    time.sleep(0.05)
        except Exception:
            self.note_error("thread", traceback.format_exc())
        finally:
            c.close()
            with self.lock:
                self.retries += c.retries
            if self.pause.is_set():
                self.paused.release()  # never leave the main thread waiting

    def start(self):
        self.deadline = time.monotonic() + self.seconds
        for i in range(self.nthreads):
            t = threading.Thread(target=self.worker, args=(i,), daemon=True)
            t.start()
            self.threads.append(t)

    def quiesce(self):
        """Waits until every thread stands between two actions; returns
        False when they did not within 60 s."""
        self.resume.clear()
        self.pause.set()
        ok = all(self.paused.acquire(timeout=60) for _ in self.threads)
        return ok

    def go_on(self, extra):
        """Lets the threads go on; the deadline moves by the pause."""
        self.deadline += extra
        self.pause.clear()
        self.resume.set()

    def join(self):
        self.stop.set()
        self.resume.set()
        for t in self.threads:
            t.join(REQUEST_TIMEOUT * 4)
        return not any(t.is_alive() for t in self.threads)


# -- Measurements ------------------------------------------------------------
