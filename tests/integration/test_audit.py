"""The audit trail (security_log, gatehousectl audit list): every event the
programs cause today writes exactly one row with the right fields, on
every database; purge removes only what is older than [audit] retention.

The rows are read with `gatehousectl audit list --format json`, so the
command is tested on the way.  Events do not depend on the web server: the
tests run under lighttpd only, on SQLite, MariaDB and PostgreSQL."""

import csv
import getpass
import hashlib
import hmac
import io
import json
import sqlite3
import time

from client import CookieJar, form_field
from fixtures import LOGOUT
from harness import check, test

SERVERS = ("lighttpd",)
UA = "audit-test/1.0 (x, \"quoted\")"  # a comma and quotes, for the CSV


def rows(site, *args):
    """The audit rows audit list gives with args, as dicts."""
    out = site.stack.ctl("audit", "list", "--format", "json", *args).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def one(site, what, *args, **want):
    """The one row of audit list args; checks that there is exactly one and
    that its fields are want's."""
    found = rows(site, *args)
    check(len(found) == 1, f"{what}: expected exactly one audit row, got {len(found)}: {found}")
    row = found[0]
    for key, value in want.items():
        check(row[key] == value, f"{what}: {key} is {row[key]!r}, expected {value!r}: {row}")
    return row


def login_as(site, name, password, user_agent=UA):
    """POSTs the login form with its own client (user_agent); the answer."""
    client = type(site.http)(site.stack.port, user_agent=user_agent)
    jar = CookieJar()
    r = client.get("/auth/login", jar=jar)
    token = form_field(r.text, "csrf")
    r = client.post_form("/auth/login", {"username": name, "password": password,
                                         "csrf": token}, jar=jar)
    return r, jar


def by_me():
    return f"gatehousectl:{getpass.getuser()}"


@test("audit_login_and_logout_events_recorded", servers=SERVERS)
def audit_login_and_logout_events_recorded(site):
    name, password = site.new_user("audited")
    off, off_pw = site.new_user("auditoff", disabled=True)
    uid = one(site, "user added", "--user", name, "--event", "user_added",
              event="user_added", result="success", user=name)["user_id"]
    check(isinstance(uid, int) and uid > 0, "user_added: no user id")

    r, _ = login_as(site, name, password + "x")
    check(r.status == 401, "wrong password: expected 401", r)
    one(site, "wrong password", "--user", name, "--event", "login_failure",
        result="failure", reason="wrong_password", ip="127.0.0.1", user_agent=UA,
        user_id=uid, context={"username": name})

    typed = f"nobody-{time.monotonic_ns()}"
    r, _ = login_as(site, typed, password)
    check(r.status == 401, "unknown user: expected 401", r)
    secret = site.stack.secret_path.read_text().splitlines()[0].encode()
    tag = hmac.new(secret, b"log-name|" + typed.encode(), hashlib.sha256).hexdigest()[:8]
    found = [row for row in rows(site, "--event", "login_failure", "--result", "failure")
             if row["context"] == {"name_tag": tag}]
    check(len(found) == 1, f"unknown user: expected one row with the tag {tag}: {found}")
    check(found[0]["user_id"] is None and found[0]["reason"] == "unknown_user",
          f"unknown user: {found[0]}")
    everything = site.stack.ctl("audit", "list", "--format", "csv").stdout
    check(typed not in everything, "the audit trail holds a name no user has, as typed")

    r, _ = login_as(site, off, off_pw)
    check(r.status == 401, "disabled user: expected 401", r)
    one(site, "disabled user", "--user", off, "--event", "login_failure",
        reason="inactive", result="failure")

    # 600 bytes of UTF-8: cut to 256, at a character boundary (sent as
    # bytes: http.client would send a str as Latin-1, which is no UTF-8).
    long_ua = ("é" * 300).encode()
    r, jar = login_as(site, name, password, user_agent=long_ua)
    check(r.status == 303, "right password: expected 303", r)
    ok = one(site, "login success", "--user", name, "--event", "login_success",
             result="success", reason=None, ip="127.0.0.1", user_agent="é" * 128)
    check(ok["context"]["username"] == name and ok["context"]["auth_method"] == "form"
          and len(ok["context"]["session"]) == 64, f"login success context: {ok['context']}")

    r = site.http.post_form(LOGOUT, {"csrf": site.logout_form(jar)}, jar=jar)
    check(r.status == 200, "logout: expected 200", r)
    out = one(site, "logout", "--user", name, "--event", "logout", result="success",
              ip="127.0.0.1")
    check(out["context"] == {"session": ok["context"]["session"], "username": name},
          f"logout: its session should be the login's: {out['context']}")
    # Nothing else for this user: added, refused, logged in, out.
    check(len(rows(site, "--user", name)) == 4, f"rows of {name}: {rows(site, '--user', name)}")


@test("audit_admin_events_recorded", servers=SERVERS)
def audit_admin_events_recorded(site):
    name, password = site.new_user("admined")
    ctx = {"by": by_me()}
    site.stack.ctl("user", "passwd", name, "--password-stdin", input=password + "y\n")
    one(site, "password changed", "--user", name, "--event", "password_changed",
        result="success", context=ctx, ip=None)
    site.stack.ctl("user", "roles", name, "admin")
    one(site, "roles changed", "--user", name, "--event", "roles_changed",
        context=dict(ctx, roles="admin"))
    site.stack.ctl("user", "disable", name)
    one(site, "user disabled", "--user", name, "--event", "user_disabled", context=ctx)
    site.stack.ctl("user", "enable", name)
    one(site, "user enabled", "--user", name, "--event", "user_enabled", context=ctx)
    # A refused change writes nothing.
    check(site.stack.ctl("user", "roles", name, "no-such-role", check=False).returncode == 3,
          "user roles with an unknown role: expected exit 3")
    check(len(rows(site, "--user", name, "--event", "roles_changed")) == 1,
          "a refused roles change wrote an audit row")

    jar1 = site.login(name, password + "y")
    site.login(name, password + "y")
    sessions = site.stack.ctl("session", "list", name).stdout.split()
    sid = sessions[0]
    site.stack.ctl("session", "revoke", sid)
    one(site, "session revoked by id", "--user", name, "--event", "session_revoked",
        context=dict(ctx, session=sid))
    check(site.stack.ctl("session", "revoke", sid, check=False).returncode == 3,
          "revoking a revoked session again: expected exit 3")
    site.stack.ctl("session", "revoke", "--user", name)
    found = rows(site, "--user", name, "--event", "session_revoked")
    check(len(found) == 2 and found[1]["context"] == dict(ctx, sessions=1),
          f"session revoke --user: expected a second row with sessions 1: {found}")
    site.assert_session_refused(jar1, "a session after session revoke --user")
    # And the CSV of them parses back, quotes and commas in the user agent.
    text = site.stack.ctl("audit", "list", "--user", name, "--format", "csv").stdout
    parsed = list(csv.DictReader(io.StringIO(text)))
    logins = [p for p in parsed if p["event"] == "login_success"]
    check(len(logins) == 2 and logins[0]["user_agent"] == "gatehouse-integration-tests",
          f"CSV: {parsed}")
    check(json.loads(parsed[0]["context"]) == rows(site, "--user", name)[0]["context"],
          "CSV: the context column should be the JSON of the row")


@test("audit_list_filters_and_refuses_bad_values", servers=SERVERS)
def audit_list_filters_and_refuses_bad_values(site):
    name, password = site.new_user("filtered")
    site.login(name, password)
    now = int(time.time())
    check(len(rows(site, "--user", name, "--since", str(now + 3600))) == 0,
          "--since an hour ahead should give nothing")
    check(len(rows(site, "--user", name, "--until", "1970-01-02")) == 0,
          "--until 1970-01-02 should give nothing")
    day = time.strftime("%Y-%m-%d", time.gmtime(now))
    check(len(rows(site, "--user", name, "--since", day, "--until", day)) == 2,
          "--since and --until today (a date) should give both rows")
    check(len(rows(site, "--user", name, "--result", "success")) == 2, "--result success")
    check(len(rows(site, "--user", name, "--result", "failure")) == 0, "--result failure")
    for bad in (("--event", "nope"), ("--result", "maybe"), ("--since", "yesterday"),
                ("--format", "xml"), ("extra",)):
        proc = site.stack.ctl("audit", "list", *bad, check=False)
        check(proc.returncode == 2, f"audit list {' '.join(bad)}: expected exit 2, got "
              f"{proc.returncode}: {proc.stderr}")
    proc = site.stack.ctl("audit", "list", "--user", "no-such-user", check=False)
    check(proc.returncode == 3, "audit list --user of no user: expected exit 3")


def site_sql(site, statements):
    """Runs statements (a list) on the site's database as its owner."""
    database = site.stack.database
    if database is None:
        with sqlite3.connect(site.stack.db_path) as conn:
            for s in statements:
                conn.execute(s)
        return
    database.sql("".join(s + ";\n" for s in statements))


@test("audit_purge_removes_only_what_is_older_than_retention", servers=SERVERS)
def audit_purge_removes_only_what_is_older_than_retention(site):
    day = 86400
    now = int(time.time())
    marker = f"purge-{time.monotonic_ns()}"
    ages = {"old": 91 * day, "older": 400 * day, "young": 89 * day, "fresh": 0}
    site_sql(site, [
        "INSERT INTO security_log (event_type, user_id, at, ip, user_agent, result, reason, "
        f"context) VALUES ('throttled', NULL, {now - age}, '192.0.2.1', '{marker}', "
        f"'failure', '{label}', NULL)" for label, age in ages.items()])

    def left():
        return sorted(r["reason"] for r in rows(site, "--event", "throttled")
                      if r["user_agent"] == marker)

    check(left() == sorted(ages), f"the rows written: {left()}")
    proc = site.stack.ctl("purge")
    check("audit entries purged" in proc.stdout, f"purge should report the audit entries: "
          f"{proc.stdout}")
    check(left() == ["fresh", "young"], f"after purge (retention 90d), expected the young and "
          f"the fresh row: {left()}")
