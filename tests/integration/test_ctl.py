"""gatehousectl's command table (cli/gatehousectl.c): each command's entry
says how many arguments it takes and what it needs, and main checks the
first before it provides the second.  So a usage error is exit 2 and opens
nothing, not even a database that is missing or unreachable; a command that
needs the database and cannot open it is exit 1 with the key at fault; a
command that needs none (--help, check's first lines) works without one.

gatehousectl is run here with configurations of its own (a SQLite database
not there yet, one that cannot be opened): the web server and the pass's
database play no part, so these run once, under lighttpd on SQLite."""

import subprocess

from fixtures import stack
from harness import check, test

SECRET = "x" * 40
# Usage errors found before anything is opened, and what stderr says.
USAGE_ERRORS = [
    (("user", "show"), "usage: gatehousectl user show NAME"),
    (("user", "list", "extra"), "usage: gatehousectl user list"),
    (("user", "add", "bad name!", "--password-stdin"), "invalid user name"),
    (("user", "passwd", "alice", "--password"), "usage: gatehousectl user passwd"),
    (("role", "add", "bad name"), "invalid role name"),
    (("purge", "--keep", "-1"), "usage: gatehousectl purge"),
    (("migrate",), "usage: gatehousectl migrate down [N]"),
    (("migrate", "sideways"), "usage: gatehousectl migrate up"),
    (("migrate", "down", "0"), "usage: gatehousectl migrate down [N]"),
    (("migrate", "down", "1", "2"), "usage: gatehousectl migrate down [N]"),
    (("session", "revoke"), "usage: gatehousectl session revoke"),
    (("session", "revoke", "--user"), "usage: gatehousectl session revoke"),
    (("session", "revoke", "a", "b"), "usage: gatehousectl session revoke"),
    (("init", "extra"), "usage: gatehousectl init"),
    (("check", "extra"), "usage: gatehousectl check"),
    # Needs [users] source = external, which is checked before the database.
    (("user", "sync"), "[users] source is not external"),
]


def ctl_config(site, name, url):
    """A gatehousectl configuration with [database] url = url; its path."""
    folder = site.stack.state_dir.parent / "ctl-needs"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.conf"
    path.write_text("[general]\n"
                    f"sql_dir = {stack.SRC_DIR / 'sql'}\n"
                    f"secret = {SECRET}\n"
                    "[database]\n"
                    f"url = {url}\n")
    return path


def ctl(site, config, *args):
    """gatehousectl [--config config] ARGS; the CompletedProcess."""
    options = ("--config", str(config)) if config is not None else ()
    return subprocess.run([str(site.stack.program("gatehousectl")), *options, *args],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)


def said(proc):
    """The exit status and output of proc, for a message."""
    return f"exit {proc.returncode}:\n{proc.stdout}{proc.stderr}"


@test("ctl_usage_error_opens_no_database", servers=("lighttpd",), databases=("sqlite",))
def ctl_usage_error_opens_no_database(site):
    folder = site.stack.state_dir.parent / "ctl-needs"
    folder.mkdir(exist_ok=True)
    db = folder / "not-yet.db"
    config = ctl_config(site, "not-yet", f"sqlite://{db}")
    for args, message in USAGE_ERRORS:
        proc = ctl(site, config, *args)
        check(proc.returncode == 2 and message in proc.stderr,
              f"gatehousectl {' '.join(args)}: expected exit 2 and {message!r}, got {said(proc)}")
        check(not db.exists(), f"gatehousectl {' '.join(args)}, a usage error, created the "
              f"database {db}")
    # The control: a command that needs the database opens (so makes) it.
    proc = ctl(site, config, "init")
    check(proc.returncode == 0, f"init on a new SQLite file: expected exit 0, got {said(proc)}")
    check(db.exists(), f"init should have made the SQLite file {db}")


@test("ctl_unreachable_database_exits_1", servers=("lighttpd",), databases=("sqlite",))
def ctl_unreachable_database_exits_1(site):
    # A file where a folder above the database should be: nothing can make
    # that folder or open the database.
    blocker = site.stack.state_dir.parent / "ctl-needs-file"
    blocker.write_text("not a folder\n")
    config = ctl_config(site, "unreachable", f"sqlite://{blocker}/db/gatehouse.db")
    key = "[database] url: cannot open the database"
    for args in (("user", "list"), ("user", "show", "alice"), ("role", "list"),
                 ("session", "list"), ("session", "revoke", "--user", "alice"),
                 ("purge",), ("migrate", "status")):
        proc = ctl(site, config, *args)
        check(proc.returncode == 1 and key in proc.stderr and str(config) in proc.stderr,
              f"gatehousectl {' '.join(args)} with the database unreachable: expected exit "
              f"1 and '{config}: {key}', got {said(proc)}")
    proc = ctl(site, config, "init")
    check(proc.returncode == 1 and "cannot create the folder of" in proc.stderr,
          f"init with a file in place of the database's folder: expected exit 1 and "
          f"'cannot create the folder of', got {said(proc)}")
    # check needs no database to start: it reports on the configuration,
    # then on the database it cannot open.
    proc = ctl(site, config, "check")
    check(proc.returncode == 1 and f"config {config}: ok" in proc.stdout and key in proc.stderr,
          f"check with the database unreachable: expected exit 1 after 'config {config}: "
          f"ok', and '{key}', got {said(proc)}")
    # --help reads no configuration at all (this one does not exist).
    proc = ctl(site, site.stack.state_dir.parent / "no-such.conf", "--help")
    check(proc.returncode == 0 and proc.stdout.startswith("usage: gatehousectl"),
          f"--help with a missing configuration: expected exit 0 and the usage, got "
          f"{said(proc)}")
    for line in ("  user sync [--dry-run]", "  backup FILE", "  check"):
        check(line + "\n" in proc.stdout, f"--help should list {line.strip()!r}:\n{proc.stdout}")
