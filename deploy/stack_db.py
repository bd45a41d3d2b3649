"""Throwaway MariaDB and PostgreSQL servers for the tests (tests/dbserver.sh)
with the Gatehouse schema, and the databases on them: deploy/stack.py's part
on server databases (Stack(..., database=server) keeps a site's tables
there).  Python standard library only."""

import copy
import os
import re
import secrets
import shutil
import subprocess
import urllib.parse
from pathlib import Path

from stack_base import (BUILD_DIR, RESPONDERS, SRC_DIR, StackError, write_ini,
                        write_secret_file)

DB_KINDS = ("mariadb", "postgresql")
DBSERVER_SH = SRC_DIR / "tests" / "dbserver.sh"
DB_START_TIMEOUT = 120.0  # seconds for tests/dbserver.sh start or stop
# The database account each responder runs under on a server database, as
# sql/mysql/grants.sql and sql/postgresql/grants.sql create them.
DB_ACCOUNTS = {name: f"gatehouse_{name}" for name in RESPONDERS}
_DB_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def _url_with(url, user=None, db=None, host=None, options=None):
    """url (as tests/dbserver.sh prints it) with another user, database
    name and/or host, and the query options (a dict) added:
    scheme://USER@HOST/DB?query&key=value."""
    m = re.match(r"^([a-z]+://)([^@/]*)@([^/]*)/([^?]*)(\?.*)?$", url)
    if not m:
        raise StackError(f"unexpected database URL {url!r}")
    scheme, u, h, d, query = m.groups()
    if host is not None:
        h = re.sub(r"^[^:]*", host, h)
    query = (query or "") + "".join(
        f"{'&' if query or i else '?'}{k}={urllib.parse.quote(str(v), safe='/')}"
        for i, (k, v) in enumerate((options or {}).items()))
    return f"{scheme}{user or u}@{h}/{db or d}{query}"


class Database:
    """One Gatehouse database on a DbServer: its URLs (TCP and Unix socket)
    for the admin account (the one tests/dbserver.sh made, which owns the
    schema and is what gatehousectl uses), that account's password file,
    and the responders' accounts (responder_account()).  Made by
    DbServer.start() (the database "gatehouse") and DbServer.database()."""

    def __init__(self, server, name):
        self.server = server
        self.name = name
        self.kind = server.kind
        self.url = _url_with(server.url, db=name)
        self.socket_url = _url_with(server.socket_url, db=name)
        self.password_file = server.password_file
        self.config_path = server.directory / f"gatehousectl-{name}.conf"
        self.grants_applied = False

    def with_url_options(self, **options):
        """This database with options added to its TCP URLs, the admin's
        and the responders' (e.g. sslmode="verify-full", sslrootcert=...):
        a Database for Stack(database=...), same schema and accounts."""
        other = copy.copy(self)
        other.url = _url_with(self.url, options=options)
        return other

    def ctl(self, *args, input=None, check=True):
        """gatehousectl ARGS with the admin account on this database."""
        return self.server._ctl(self.config_path, args, input, check)

    def init(self):
        """Writes the admin account's gatehouse.conf for this database and
        runs `gatehousectl init` (the migrations)."""
        write_ini(self.config_path, {
            "general": {"sql_dir": SRC_DIR / "sql", "templates_dir": SRC_DIR / "templates"},
            "database": {"url": self.url, "password_file": self.password_file},
        })
        self.ctl("init")

    def apply_grants(self):
        """The responders' accounts (made once per server, random passwords)
        with the privileges of sql/<dialect>/grants.sql on this database."""
        self.server._apply_grants(self.name)
        self.grants_applied = True

    def responder_account(self, responder, socket=False):
        """(url, password_file) of the account responder (login, logout,
        check) runs under; grants are applied on first use."""
        if responder not in DB_ACCOUNTS:
            raise StackError(f"unknown responder {responder!r}")
        if not self.grants_applied:
            self.apply_grants()
        url = _url_with(self.socket_url if socket else self.url, user=DB_ACCOUNTS[responder])
        return url, self.server.account_password_file(responder)

    def sql_as(self, responder, text, timeout=60):
        """Runs SQL text on this database over TCP as the account of
        responder (login, logout, check), with the server's own client;
        returns the CompletedProcess (text), whatever its exit status (a
        privilege refused is an error of the client)."""
        url, pw_file = self.responder_account(responder)
        password = Path(pw_file).read_text().strip()
        env = dict(os.environ)
        account = DB_ACCOUNTS[responder]
        if self.kind == "mariadb":
            client = shutil.which("mariadb") or shutil.which("mysql") or "mariadb"
            cmd = [client, "--no-defaults", "-h", "127.0.0.1", "-P", str(self.server.port),
                   "-u", account, "--batch", "--skip-column-names", self.name]
            env["MYSQL_PWD"] = password  # not in ps
        else:
            cmd = ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                   "-p", str(self.server.port), "-U", account, "-d", self.name]
            env["PGPASSWORD"] = password
        return subprocess.run(cmd, input=text, capture_output=True, text=True, env=env,
                              timeout=timeout)

    def sql(self, text, args=(), timeout=60):
        """Runs SQL text on this database as the server's administrator
        (MariaDB root / PostgreSQL postgres, over the socket); returns the
        output (tab-separated rows, no header)."""
        return self.server.sql(text, database=self.name, args=args, timeout=timeout)


class DbServer:
    """A throwaway MariaDB or PostgreSQL server for tests (tests/dbserver.sh),
    with the Gatehouse schema in its database "gatehouse".

        with DbServer("mariadb", tmp / "db") as db:
            with Stack(tmp / "a", database=db) as site: ...

    start() starts the server (a first start makes the data directory in
    directory, which must be missing or empty; a later one keeps the data),
    sets url (TCP), socket_url, password_file (the admin account's) and, on
    the first start, runs `gatehousectl init` with the admin account.
    stop() shuts it down cleanly (the directory is kept; remove it
    yourself); restart() is stop() then start(), data kept.  A Stack given
    this server runs gatehousectl under the admin account and each responder
    under its own least-privilege account (sql/<dialect>/grants.sql), made
    with random passwords on first use.  database(name) adds another
    Gatehouse database on the same server (its own schema, same accounts),
    for sites that must not share data."""

    def __init__(self, kind, directory, build_dir=BUILD_DIR):
        if kind not in DB_KINDS:
            raise StackError(f"unknown database server {kind!r} (one of {', '.join(DB_KINDS)})")
        self.kind = kind
        self.directory = Path(directory).resolve()
        self.build_dir = Path(build_dir).resolve()
        self.url = None
        self.socket_url = None
        self.password_file = self.directory / "password"
        # Its TLS (tests/dbserver.sh): the CA of its certificate, and one
        # that signed nothing here.
        self.ca_file = self.directory / "tls" / "ca.pem"
        self.other_ca_file = self.directory / "tls" / "other-ca.pem"
        self.port = None
        self.default = None        # the Database "gatehouse"
        self.databases = {}        # name -> Database
        self._accounts_made = False

    # -- The server ------------------------------------------------------

    def _dbserver(self, cmd):
        try:
            proc = subprocess.run(["bash", str(DBSERVER_SH), cmd, self.kind, str(self.directory)],
                                  capture_output=True, text=True, stdin=subprocess.DEVNULL,
                                  timeout=DB_START_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise StackError(f"tests/dbserver.sh {cmd} {self.kind}: no end after "
                             f"{DB_START_TIMEOUT:.0f} s") from None
        if proc.returncode != 0:
            raise StackError(f"tests/dbserver.sh {cmd} {self.kind} {self.directory}: exit "
                             f"{proc.returncode}\n{proc.stdout}{proc.stderr}")
        return proc.stdout

    def start(self):
        """Starts the server; on the first start also the schema.  Returns self."""
        self.directory.parent.mkdir(parents=True, exist_ok=True)
        lines = self._dbserver("start").split("\n")
        if len(lines) < 2 or "://" not in lines[0] or "://" not in lines[1]:
            raise StackError(f"tests/dbserver.sh start {self.kind}: unexpected output {lines!r}")
        self.url, self.socket_url = lines[0].strip(), lines[1].strip()
        self.port = int((self.directory / "port").read_text())
        if self.default is None:
            self.default = Database(self, "gatehouse")
            self.databases["gatehouse"] = self.default
            self.default.init()
        return self

    def stop(self):
        """A clean shutdown; harmless when not running."""
        self._dbserver("stop")

    def restart(self):
        self.stop()
        return self.start()

    def is_running(self):
        """Whether the server answers its administrator on the socket."""
        try:
            self.sql("SELECT 1", timeout=5)
            return True
        except (StackError, subprocess.TimeoutExpired, OSError):
            return False

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- The default database, for callers --------------------------------

    @property
    def config_path(self):
        """gatehousectl's configuration (admin account) for "gatehouse"."""
        return self.default.config_path

    def ctl(self, *args, input=None, check=True):
        """gatehousectl ARGS with the admin account on "gatehouse"."""
        return self.default.ctl(*args, input=input, check=check)

    def responder_account(self, responder, socket=False):
        return self.default.responder_account(responder, socket)

    def sql_as(self, responder, text, timeout=60):
        return self.default.sql_as(responder, text, timeout)

    def database(self, name):
        """Another Gatehouse database on this server (created and migrated
        on first call, owned by the admin account); returns its Database."""
        if name in self.databases:
            return self.databases[name]
        if not _DB_NAME_RE.match(name):
            raise StackError(f"bad database name {name!r}")
        if self.kind == "mariadb":
            self.sql(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
                     f"GRANT ALL ON {name}.* TO 'gatehouse'@'localhost', 'gatehouse'@'127.0.0.1';")
        else:
            self.sql(f"CREATE DATABASE {name} OWNER gatehouse ENCODING 'UTF8'")
            self.sql("ALTER SCHEMA public OWNER TO gatehouse", database=name)
        db = Database(self, name)
        db.init()
        self.databases[name] = db
        return db

    # -- Helpers -----------------------------------------------------------

    def _ctl(self, config_path, args, input, check):
        prog = self.build_dir / "gatehousectl"
        if not os.access(prog, os.X_OK):
            raise StackError(f"{prog} is missing: build first (scripts/build.sh)")
        cmd = [str(prog), "--config", str(config_path), *map(str, args)]
        proc = subprocess.run(cmd, input=input, capture_output=True, text=True,
                              stdin=None if input is not None else subprocess.DEVNULL)
        if check and proc.returncode != 0:
            raise StackError(f"gatehousectl {' '.join(cmd[3:])} ({self.kind}): exit "
                             f"{proc.returncode}\n{proc.stdout}{proc.stderr}")
        return proc

    def admin_command(self, database=None):
        """The command line of the server's own client as its administrator
        (over the socket, no password), on database (default "gatehouse")."""
        database = database or "gatehouse"
        if self.kind == "mariadb":
            client = shutil.which("mariadb") or shutil.which("mysql") or "mariadb"
            return [client, "--no-defaults", f"--socket={self.directory / 'mysqld.sock'}",
                    "-uroot", "--batch", "--skip-column-names", database]
        return ["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                "-h", str(self.directory), "-p", str(self.port), "-U", "postgres",
                "-d", database]

    def sql(self, text, database=None, args=(), timeout=60):
        """Runs SQL text (standard input of the client) as the server's
        administrator; extra client arguments in args.  Returns the output;
        an error raises StackError."""
        if self.port is None:
            self.port = int((self.directory / "port").read_text())
        cmd = self.admin_command(database) + list(args)
        proc = subprocess.run(cmd, input=text, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise StackError(f"{self.kind} SQL failed (exit {proc.returncode}): "
                             f"{proc.stderr.strip()}")
        return proc.stdout

    def account_password_file(self, responder):
        return self.directory / f"password-{responder}"

    def _apply_grants(self, database):
        """Runs sql/<dialect>/grants.sql on database as the administrator,
        with a random password per account (made once, kept in
        DIR/password-RESPONDER)."""
        passwords = {}
        for name in RESPONDERS:
            path = self.account_password_file(name)
            if not path.exists():
                write_secret_file(path, secrets.token_hex(18))
            passwords[name] = path.read_text().strip()
        if self.kind == "mariadb":
            grants = (SRC_DIR / "sql" / "mysql" / "grants.sql").read_text()
            # Accounts for the socket (localhost) and for TCP (127.0.0.1);
            # on standard input (not SOURCE), so that an error stops it.
            accounts = "".join(f", @pw_{name} = '{passwords[name]}'" for name in RESPONDERS)
            text = "".join(f"SET @gh_host = '{host}'{accounts};\n{grants}\n"
                           for host in ("localhost", "127.0.0.1"))
            self.sql(text, database=database)
        else:
            grants = SRC_DIR / "sql" / "postgresql" / "grants.sql"
            args = []
            for name in RESPONDERS:
                args += ["-v", f"pw_{name}={passwords[name]}"]
            self.sql("", database=database, args=args + ["-f", str(grants)])
