"""gatehousectl token add | list | revoke: personal access tokens
(common/pat.c, cli/ctl_token.c), as an administrator uses them.  add prints
the token once, alone on its line of standard output, and says on standard
error that it cannot be shown again; list shows each token by its handle
(the first 12 hex digits of its stored SHA-256) and never a token; revoke
takes a handle or --user.  Usage errors are exit 2 and open nothing; an
unknown user is exit 3, a name taken exit 4, a role the user lacks exit 1.

The commands run on the site's database, under lighttpd alone (the web
server plays no part), so on every database of the pass: the migration's
table, its triggers (MariaDB, PostgreSQL) and the owner's account all
take part.  The usage errors run once, on SQLite, with a configuration
whose database does not exist yet."""

import calendar
import hashlib
import json
import re
import subprocess
import time

from fixtures import stack
from harness import check, test

TOKEN = re.compile(r"^ghpat_[A-Za-z0-9_-]{43}$")
ISO = "%Y-%m-%dT%H:%M:%SZ"
LINE = re.compile(r"^(?P<handle>[0-9a-f]{12}) (?P<user>\S+) (?P<state>active|expired|revoked|inactive) "
                  r"created=(?P<created>\S+) expires=(?P<expires>\S+) used=(?P<used>\S+) "
                  r"revoked=(?P<revoked>\S+) roles=(?P<roles>\S+) name=(?P<name>.+)$")
# Usage errors found before anything is opened, and what stderr says.
USAGE_ERRORS = [
    (("token", "add", "alice"), "usage: gatehousectl token add USER --name N"),
    (("token", "add", "--name", "x"), "usage: gatehousectl token add"),
    (("token", "add", "alice", "bob", "--name", "x"), "usage: gatehousectl token add"),
    (("token", "add", "alice", "--name", ""), "invalid token name"),
    (("token", "add", "alice", "--name", " lead"), "invalid token name"),
    (("token", "add", "alice", "--name", "x" * 65), "invalid token name"),
    (("token", "add", "alice", "--name", "x", "--expires", "90"), "--expires 90"),
    (("token", "add", "alice", "--name", "x", "--expires", "forever"), "--expires forever"),
    (("token", "add", "alice", "--name", "x", "--expires", "3651d"), "--expires 3651d"),
    (("token", "add", "alice", "--name", "x", "--role", "bad role"), "invalid role name"),
    (("token", "add", "bad name!", "--name", "x"), "invalid user name"),
    (("token", "add", "alice", "--name", "x", "--colour", "red"), "usage: gatehousectl token add"),
    (("token", "list", "alice", "bob"), "usage: gatehousectl token list"),
    (("token", "revoke"), "usage: gatehousectl token revoke"),
    (("token", "revoke", "--user"), "usage: gatehousectl token revoke"),
    (("token", "revoke", "0123456789ab", "extra"), "usage: gatehousectl token revoke"),
    (("token", "revoke", "xyz"), "not a token's handle"),
    (("token", "revoke", "ABCDEF012345"), "not a token's handle"),
    (("token", "sideways"), "usage: gatehousectl token add"),
]


def ctl(site, *args):
    """gatehousectl ARGS on the site's configuration; the CompletedProcess."""
    return site.stack.ctl(*args, check=False)


def said(proc):
    """The exit status and output of proc, for a message."""
    return f"exit {proc.returncode}:\n{proc.stdout}{proc.stderr}"


def listed(site, *args):
    """token list ARGS as dicts of the fields of each line, checked for
    form."""
    proc = ctl(site, "token", "list", *args)
    check(proc.returncode == 0, f"token list {' '.join(args)}: expected exit 0, got {said(proc)}")
    rows = []
    for line in proc.stdout.splitlines():
        m = LINE.match(line)
        check(m is not None, f"token list: a line not of the documented form: {line!r}")
        rows.append(m.groupdict())
    return rows


def audit(site, name, event):
    """The audit rows of event for user name."""
    out = site.stack.ctl("audit", "list", "--format", "json", "--user", name,
                         "--event", event).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def add(site, *args):
    """token add ARGS, checked: the token it printed, and the process."""
    proc = ctl(site, "token", "add", *args)
    check(proc.returncode == 0, f"token add {' '.join(args)}: expected exit 0, got {said(proc)}")
    lines = proc.stdout.splitlines()
    check(len(lines) == 1 and TOKEN.match(lines[0]),
          f"token add: expected the token alone on one line of standard output, got "
          f"{proc.stdout!r}")
    check("cannot be shown again" in proc.stderr and lines[0] not in proc.stderr,
          f"token add: expected the note on standard error, without the token: {proc.stderr!r}")
    return lines[0], proc


@test("ctl_token_add_list_revoke", servers=("lighttpd",))
def ctl_token_add_list_revoke(site):
    name, _ = site.new_user("tok", roles=("admin",))
    before = time.time()
    token, proc = add(site, name, "--name", "nightly backup", "--role", "admin",
                      "--expires", "12h")
    handle = hashlib.sha256(token.encode()).hexdigest()[:12]
    check(handle in proc.stderr, f"token add: the note should name the handle {handle}: "
          f"{proc.stderr!r}")

    rows = listed(site, name)
    check(len(rows) == 1, f"token list {name}: expected one token, got {rows}")
    row = rows[0]
    check(row["handle"] == handle and row["user"] == name and row["state"] == "active" and
          row["roles"] == "admin" and row["name"] == "nightly backup" and
          row["used"] == "never" and row["revoked"] == "-",
          f"token list {name}: expected handle {handle}, {name}, active, roles=admin, "
          f"name=nightly backup, never used, not revoked: {row}")
    expires = calendar.timegm(time.strptime(row["expires"], ISO))
    check(before + 12 * 3600 - 5 <= expires <= time.time() + 12 * 3600 + 5,
          f"token list: expires={row['expires']}, expected 12 hours from now")
    everything = ctl(site, "token", "list")
    secret = token[len("ghpat_"):]
    check(everything.returncode == 0 and handle in everything.stdout and
          secret not in everything.stdout + everything.stderr,
          f"token list: expected the handle and never the token: {said(everything)}")

    # A second token without roles, never expiring; the name is per user.
    plain, _ = add(site, name, "--name", "monitor", "--expires", "never")
    check(plain != token, "two tokens alike")
    rows = {r["name"]: r for r in listed(site, name)}
    check(rows.get("monitor", {}).get("expires") == "never" and rows["monitor"]["roles"] == "-",
          f"token list: expected monitor never expiring, without roles: {rows}")
    proc = ctl(site, "token", "add", name, "--name", "monitor")
    check(proc.returncode == 4 and "already" in proc.stderr and not proc.stdout,
          f"token add of a name taken: expected exit 4 and no token, got {said(proc)}")
    other, _ = site.new_user("tok")
    add(site, other, "--name", "monitor")
    # A disabled user's token: inactive (the check refuses it), active again
    # once the user is enabled.
    site.stack.ctl("user", "disable", other)
    check([r["state"] for r in listed(site, other)] == ["inactive"],
          f"token list {other}: expected inactive while {other} is disabled: "
          f"{listed(site, other)}")
    site.stack.ctl("user", "enable", other)
    check([r["state"] for r in listed(site, other)] == ["active"],
          f"token list {other}: expected active once {other} is enabled again")

    # Revoke by handle: listed as revoked, once only.
    proc = ctl(site, "token", "revoke", handle)
    check(proc.returncode == 0, f"token revoke {handle}: expected exit 0, got {said(proc)}")
    rows = {r["name"]: r for r in listed(site, name)}
    check(rows["nightly backup"]["state"] == "revoked" and rows["nightly backup"]["revoked"] != "-"
          and rows["monitor"]["state"] == "active",
          f"after token revoke: expected nightly backup revoked, monitor active: {rows}")
    proc = ctl(site, "token", "revoke", handle)
    check(proc.returncode == 3, f"token revoke again: expected exit 3, got {said(proc)}")
    proc = ctl(site, "token", "revoke", "0" * 12)
    check(proc.returncode == 3, f"token revoke of no token: expected exit 3, got {said(proc)}")

    # Every token of the user; the other user's stays.
    proc = ctl(site, "token", "revoke", "--user", name)
    check(proc.returncode == 0 and "1 tokens revoked" in proc.stderr,
          f"token revoke --user {name}: expected exit 0 and '1 tokens revoked', got "
          f"{said(proc)}")
    check(all(r["state"] == "revoked" for r in listed(site, name)),
          f"token revoke --user left a token of {name} live")
    check([r["state"] for r in listed(site, other)] == ["active"],
          f"token revoke --user {name} touched {other}'s token")

    # The audit trail: each change once, with the handle, never the token.
    added = audit(site, name, "token_added")
    check(len(added) == 2 and {a["context"]["name"] for a in added} ==
          {"nightly backup", "monitor"},
          f"audit: expected two token_added rows of {name}: {added}")
    first = next(a for a in added if a["context"]["name"] == "nightly backup")
    check(first["context"]["token"] == handle and first["context"]["roles"] == "admin",
          f"audit: token_added context: {first['context']}")
    revoked = audit(site, name, "token_revoked")
    check(len(revoked) == 2, f"audit: expected two token_revoked rows of {name}: {revoked}")
    trail = site.stack.ctl("audit", "list", "--format", "json").stdout
    check(secret not in trail and plain[len("ghpat_"):] not in trail,
          "audit: a token is in the audit trail")


@test("ctl_token_unknown_user_and_roles_refused", servers=("lighttpd",))
def ctl_token_unknown_user_and_roles_refused(site):
    for args in (("token", "add", "nobody-here", "--name", "x"),
                 ("token", "list", "nobody-here"),
                 ("token", "revoke", "--user", "nobody-here")):
        proc = ctl(site, *args)
        check(proc.returncode == 3 and "no user nobody-here" in proc.stderr and not proc.stdout,
              f"gatehousectl {' '.join(args)}: expected exit 3, got {said(proc)}")
    name, _ = site.new_user("norole")
    for role in ("admin", "no-such-role"):
        proc = ctl(site, "token", "add", name, "--name", "x", "--role", role)
        check(proc.returncode == 1 and f"does not hold the role {role}" in proc.stderr and
              not proc.stdout,
              f"token add --role {role} for a user without it: expected exit 1, got "
              f"{said(proc)}")
    check(listed(site, name) == [], f"a refused token add made a token for {name}")
    check(audit(site, name, "token_added") == [], "a refused token add wrote an audit row")
    # Roles the user holds are given; one taken away later leaves the token.
    admin, _ = site.new_user("withrole", roles=("admin",))
    add(site, admin, "--name", "ci", "--role", "admin")
    site.stack.ctl("user", "roles", admin, "")
    rows = listed(site, admin)
    check(len(rows) == 1 and rows[0]["roles"] == "-" and rows[0]["state"] == "active",
          f"after the user lost admin: expected the token without roles: {rows}")


@test("ctl_token_usage_error_opens_no_database", servers=("lighttpd",), databases=("sqlite",))
def ctl_token_usage_error_opens_no_database(site):
    folder = site.stack.state_dir.parent / "ctl-token"
    folder.mkdir(exist_ok=True)
    db = folder / "not-yet.db"
    config = folder / "gatehouse.conf"
    config.write_text("[general]\n"
                      f"sql_dir = {stack.SRC_DIR / 'sql'}\n"
                      f"secret = {'x' * 40}\n"
                      "[database]\n"
                      f"url = sqlite://{db}\n")
    for args, message in USAGE_ERRORS:
        proc = subprocess.run([str(site.stack.program("gatehousectl")), "--config", str(config),
                               *args], capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=60)
        check(proc.returncode == 2 and message in proc.stderr and not proc.stdout,
              f"gatehousectl {' '.join(args)}: expected exit 2 and {message!r}, got "
              f"{said(proc)}")
        check(not db.exists(), f"gatehousectl {' '.join(args)}, a usage error, created the "
              f"database {db}")
