#!/usr/bin/env python3
"""Start a whole Gatehouse site on the loopback interface, and stop it again.

One launcher for the integration tests and the quick-start demo, so both run
exactly the configurations in deploy/:

- writes gatehouse.conf into a state folder (SQLite database, secret file,
  templates and migrations from the source tree) and runs `gatehousectl
  init`;
- copies what the web server's workers read (the site, Gatehouse's static
  folder) into www/ beside the state, readable by everyone, so that the
  source tree may sit in a folder only its owner can enter (a home folder);
  that part (www/ and run/) goes to a temporary folder of its own when the
  state folder itself is out of the workers' reach, or too deep for a
  socket path;
- makes Gatehouse's signing key (`gatehousectl keys generate`, into keys/
  of the state folder, [sso] keys_dir) when there is none;
- starts gatehouse-login, -logout, -sso and -check under spawn-fcgi (`-n`,
  so each PID is the responder's own) on Unix sockets of mode 0660 in run/,
  owned by the web server workers' user and group; only the check under
  Apache listens on a free loopback TCP port (mod_authnz_fcgi knows no
  Unix socket).  The responders refuse to run as root: started as root,
  they run as the system account `gatehouse` (RESPONDER_USER, made by
  scripts/deps.sh), which owns the SQLite database's folder db/ and may
  read (group) the secret and password files, and owns keys/; otherwise
  as we do;
- renders deploy/lighttpd.conf.in, deploy/apache.conf.in or
  deploy/nginx.conf.in and runs that web server in the foreground as a
  child, optionally with an HTTPS port (under nginx, also fcgiwrap for the
  demo site's CGI, on a Unix socket in the state folder);
- waits until the site answers, and stops everything (SIGTERM, a wait, then
  SIGKILL) when the `with` block ends, also on an exception.  A start that
  fails raises StackError with the ends of the logs.

DbServer (stack_db.py) starts a throwaway MariaDB or PostgreSQL server
(tests/dbserver.sh) with the Gatehouse schema; Stack(..., database=server)
then keeps the site's tables there instead of in SQLite, gatehousectl under the account owning
the database and each responder under its own least-privilege account
(sql/<dialect>/grants.sql), several stacks possibly on one database.

Command line:
    stack.py demo [--apache | --nginx] [--port 8080] [--state DIR]
    stack.py render TEMPLATE [--tls] NAME=VALUE...

The parts: stack_base.py (paths, names, StackError, writing gatehouse.conf),
stack_account.py (the responders' system account, what it and the web
server's workers can reach), stack_db.py (server databases).  Only the
Python standard library is used.
"""

import argparse
import copy
import ctypes
import grp
import http.client
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from stack_account import (RESPONDER_USER, SystemAccount, _check_reachable_by_others,  # noqa: F401
                           _closed_folder, copy_for_others, responder_system_account,
                           spawn_fcgi_user_args, unreachable_by)
from stack_base import (BUILD_DIR, DEPLOY_DIR, RESPONDERS, SERVERS, SITE_DIR,  # noqa: F401
                        SRC_DIR, StackError, write_ini, write_secret_file)
from stack_db import DB_ACCOUNTS, DB_KINDS, Database, DbServer, _url_with  # noqa: F401

# The responders that listen on loopback TCP instead of a Unix socket in
# run/, per web server: mod_authnz_fcgi (Apache's check) speaks TCP only.
TCP_RESPONDERS = {"lighttpd": (), "apache": ("check",), "nginx": ()}

# sun_path holds 108 bytes, the final NUL included.
SOCKET_PATH_MAX = 107

# The demo's state as root when RESPONDER_USER cannot reach the clone's state/.
DEMO_ROOT_STATE = Path("/var/lib/gatehouse-demo")

# The demo site's policy, tried in order by gatehouse-check.  Under Apache
# the bypass paths are also let through in apache.conf.in (see there).
RULES = (
    "path:/ bypass",
    "path:/index.html bypass",
    "path:/public/* bypass",
    "path:/admin require:role:admin",
    "path:/admin/* require:role:admin",
    "path:/* require:login",
)

# Where the TLS modules live (Debian); HTTPS needs the server's module.
TLS_MODULES = {
    "lighttpd": Path("/usr/lib/lighttpd/mod_openssl.so"),   # lighttpd-mod-openssl
    "apache": Path("/usr/lib/apache2/modules/mod_ssl.so"),  # apache2-bin
    "nginx": Path("/usr/sbin/nginx"),                        # nginx-light: built in
}

# What the nginx configuration needs besides nginx itself (Debian packages).
NGINX_NEEDS = {
    Path("/usr/sbin/fcgiwrap"): "fcgiwrap",
}

START_TIMEOUT = 15.0  # seconds for the whole site to answer
PROBE_TIMEOUT = 5.0   # seconds for one answer during the start
STOP_TIMEOUT = 5.0    # seconds between SIGTERM and SIGKILL
LOG_TAIL = 40         # lines of each log shown when a start fails

# Lines in a responder's log that fail a run: reports of ASan, LSan and UBSan
# (a sanitizer build), and server.c's warning that it left with a worker
# still busy (_exit: nothing freed, so no leak check either).
RESPONDER_LOG_ALARMS = (
    "ERROR: AddressSanitizer",
    "ERROR: LeakSanitizer",
    "runtime error:",
    "SUMMARY: UndefinedBehaviorSanitizer",
    "workers still busy",
)


@dataclass
class Tls:
    """A certificate and its key (PEM files) for the HTTPS port."""
    cert: Path
    key: Path


def tls_supported(server):
    """Whether this machine has the TLS module the web server needs."""
    return TLS_MODULES[server].exists()


def free_ports(n):
    """n distinct loopback TCP ports that were free a moment ago."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def render(text, values, tls):
    """Fills a deploy/*.in template: "@TLS@" lines are kept without the
    marker when tls is true and dropped otherwise; each @NAME@ is replaced
    by values[NAME].  A placeholder without a value raises StackError."""
    lines = []
    for line in text.splitlines(keepends=True):
        if line.startswith("@TLS@"):
            if not tls:
                continue
            line = line[len("@TLS@"):]
        lines.append(line)
    out = "".join(lines)

    def value(m):
        if m.group(1) not in values:
            raise StackError(f"template placeholder @{m.group(1)}@ has no value")
        return str(values[m.group(1)])

    return re.sub(r"@([A-Z][A-Z0-9_]*)@", value, out)


def merge_settings(base, extra):
    """base updated section by section with extra (neither is changed)."""
    out = {s: dict(keys) for s, keys in base.items()}
    for section, keys in (extra or {}).items():
        out.setdefault(section, {}).update(keys)
    return out


def tail(path, start=0, n=LOG_TAIL):
    """The last n lines of the file at path, from byte start on."""
    try:
        with open(path, "rb") as f:
            f.seek(start)
            lines = f.read().decode(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-n:])


_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def _child_setup():
    """Runs in each child before exec: a process group of its own (a Ctrl-C
    reaches only the launcher, which then stops the children in order), and
    SIGTERM when the launcher dies without cleaning up."""
    os.setsid()
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def stop_processes(procs, timeout=STOP_TIMEOUT):
    """SIGTERM to every process, then a wait of up to timeout for them all;
    a process still running then gets SIGKILL, with whatever it started
    (its process group).  Returns the exit statuses, in order."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in procs:
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            # Not reaped yet, so the group id is still this child's own.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
    return [proc.returncode for proc in procs]


class Stack:
    """A running Gatehouse site: the four responders and one web server.

        with Stack(state_dir, server="apache") as site:
            site.ctl("user", "add", "alice", "--password-stdin", input="...")
            urllib.request.urlopen(site.url("/private/"))

    state_dir is created when missing and kept (the database survives
    restarts).  site_dir (the demo site by default) and Gatehouse's static
    folder are served from copies made at each start in www/ (site_dir,
    static_dir), so the web server's workers need no access to the
    originals.  run/ (run_dir) holds the pid files and the responders'
    Unix sockets (responder_sockets; responder_ports for the TCP ones).
    Both are in the state folder, or, when the workers (another user) could
    not pass through it or its parents, or a socket path would be too long,
    in a temporary folder (serve_root) removed by stop().  port 0 picks a
    free port.  tls (a Tls) adds an HTTPS port,
    tls_port.  settings ({section: {key: value}}) override the defaults of
    gatehouse.conf, e.g. {"session": {"idle_timeout": "2s"}}; a section
    "partner NAME" is written as [partner NAME].

    Single sign-on: [sso] issuer is the plain port's base URL plus /auth
    (http://127.0.0.1:PORT/auth), [sso] keys_dir is keys/ (keys_dir) in the
    state folder, where start() runs `gatehousectl keys generate --alg
    signing_alg` (ES256 or RS256) when it holds no key yet; as root, keys/
    and its keys then belong to the responders' account (mode 0700 and
    0600: only gatehouse-sso reads them).

    The SQLite database is db_path, in db/ (db_dir) of the state folder.
    Started as root, the responders run as system_account
    (responder_system_account()), which then owns db/ and may read
    gatehouse.conf and the secret files (its group, mode 0640); the
    programs, the templates and those files must be within its reach
    (every folder above them passable).

    database: None for SQLite in the state folder, or a started DbServer
    (or one of its Database objects, DbServer.database(name)).  Then
    gatehouse.conf gets [database] url (TCP) and password_file (a copy of the
    admin account's password in the state folder), which gatehousectl
    (ctl()) uses; with responder_accounts (the default) each responder runs
    under its own account from sql/<dialect>/grants.sql, given to it in its
    environment (GATEHOUSE_DATABASE_URL, GATEHOUSE_DATABASE_PASSWORD_FILE),
    so a missing grant shows; without, they use the admin account too.
    """

    def __init__(self, state_dir, server="lighttpd", port=0, tls=None, tls_port=0,
                 settings=None, build_dir=BUILD_DIR, site_dir=SITE_DIR, database=None,
                 responder_accounts=True, signing_alg="ES256"):
        if server not in SERVERS:
            raise StackError(f"unknown web server {server!r} (one of {', '.join(SERVERS)})")
        self.state_dir = Path(state_dir).resolve()
        self.server = server
        self.tls = tls
        self.build_dir = Path(build_dir).resolve()
        self.site_source = Path(site_dir).resolve()
        self.log_dir = self.state_dir / "log"
        self._temp_root = None  # the temporary serve_root, when one is needed
        self._set_serve_root(self.state_dir)
        self.config_path = self.state_dir / "gatehouse.conf"
        self.secret_path = self.state_dir / "secret"
        # SQLite writes -wal and -shm files beside the database, so its
        # folder is the responders' own; the rest of the state is not.
        self.db_dir = self.state_dir / "db"
        self.db_path = self.db_dir / "gatehouse.db"
        self.system_account = None  # the responders' SystemAccount as root (start())
        self.server_config_path = self.state_dir / f"{server}.conf"
        self.database = database
        self.responder_accounts = responder_accounts
        self.db_password_path = self.state_dir / "db-password"
        self.keys_dir = self.state_dir / "keys"  # [sso] keys_dir, unless settings say
        self.signing_alg = signing_alg  # of the key made when keys_dir has none
        self.responder_env = {}  # name -> {variable: value} added for that responder

        tcp = TCP_RESPONDERS[server]
        wanted = [port, tls_port if tls else None] + [0] * len(tcp)
        spare = iter(free_ports(sum(1 for p in wanted if p == 0)))
        ports = [p if p != 0 else next(spare) for p in wanted]
        self.port, self.tls_port = ports[0], ports[1]
        self.responder_ports = dict(zip(tcp, ports[2:]))  # name -> loopback port

        self.settings = merge_settings(self._default_settings(), settings)
        # What the responders run: the build's, or copies (as root, when
        # their account cannot reach these; _copy_programs_for_responders).
        self.templates_source = Path(self.settings["general"]["templates_dir"])
        self.responder_bin_dir = self.build_dir
        self.responders = {}  # name -> Popen (the responder itself)
        self.responder_exit = {}  # name -> exit status, filled by stop()
        self.web = None       # Popen of the web server
        self.helpers = {}     # name -> Popen of what the web server needs (fcgiwrap)
        self.log_start = {}   # log path -> its size before this start

    # -- Where the web server's workers look ----------------------------------

    def _set_serve_root(self, root):
        self.serve_root = Path(root)
        self.run_dir = self.serve_root / "run"
        self.site_dir = self.serve_root / "www" / "site"
        self.static_dir = self.serve_root / "www" / "static"

    @property
    def responder_sockets(self):
        """{name: path of its Unix socket} for the responders not on TCP."""
        return {name: self.run_dir / f"{name}.sock"
                for name in RESPONDERS if name not in self.responder_ports}

    def _workers_other_user(self):
        """Whether the web server's workers run as a user other than the
        responders' (www-data for Apache and nginx started as root;
        lighttpd started as root stays root)."""
        return os.geteuid() == 0 and self.server in ("apache", "nginx")

    def _choose_serve_root(self):
        """The state folder, unless the workers (or, as root, the
        responders' account) could not pass through the folders above it (a
        clone in a home folder of mode 0700 keeps its state/ there) or a
        socket path in it would be too long: then a temporary folder of mode
        0711."""
        self._remove_temp_root()
        self._set_serve_root(self.state_dir)
        others = self._workers_other_user() or self.system_account is not None
        closed = others and _closed_folder(self.state_dir.parent)
        longest = max(len(os.fsencode(p)) for p in
                      [*self.responder_sockets.values(), self.run_dir / "fcgiwrap.sock"])
        if closed or longest > SOCKET_PATH_MAX:
            self._temp_root = Path(tempfile.mkdtemp(prefix="gatehouse-stack-"))
            os.chmod(self._temp_root, 0o711)
            self._set_serve_root(self._temp_root)

    def _remove_temp_root(self):
        if self._temp_root is not None:
            shutil.rmtree(self._temp_root, ignore_errors=True)
            self._temp_root = None

    # -- Configuration -----------------------------------------------------

    def _default_settings(self):
        return {
            "general": {
                "templates_dir": SRC_DIR / "templates",
                "sql_dir": SRC_DIR / "sql",
                "secret_file": self.secret_path,
                "site_name": "Gatehouse demo",
            },
            "database": ({"url": f"sqlite://{self.db_path}"}
                         if self.database is None else
                         {"url": self.database.url, "password_file": self.db_password_path}),
            # The plain-HTTP port is loopback only: allow the cookie there.
            "session": {"insecure_cookies": True},
            "check": {"rule": list(RULES)},
            # Outbound single sign-on signs with the keys of keys/ and names
            # this site as its issuer.
            "sso": {"issuer": self.url("/auth"), "keys_dir": self.keys_dir},
        }

    def _write_secret(self):
        """48 random characters, made once and kept with the state."""
        if self.secret_path.exists():
            return
        alphabet = string.ascii_letters + string.digits
        fd = os.open(self.secret_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("".join(secrets.choice(alphabet) for _ in range(48)) + "\n")

    def _write_db_passwords(self):
        """With a server database: the admin password for gatehouse.conf,
        and each responder's account (url and a copy of its password file,
        in the state folder) for its environment."""
        self.responder_env = {}
        if self.database is None:
            return
        write_secret_file(self.db_password_path,
                           Path(self.database.password_file).read_text().strip())
        if not self.responder_accounts:
            return
        for name in RESPONDERS:
            url, pw_file = self.database.responder_account(name)
            copy = self.state_dir / f"db-password-{name}"
            write_secret_file(copy, Path(pw_file).read_text().strip())
            self.responder_env[name] = {"GATEHOUSE_DATABASE_URL": url,
                                        "GATEHOUSE_DATABASE_PASSWORD_FILE": str(copy)}

    def _server_values(self):
        user, group = self._run_user()
        values = {
            # nginx: the workers' user, set only when it starts as root.
            "USER_DIRECTIVE": (f"user {user} {group};" if os.geteuid() == 0 else
                               "# (not started as root: the workers run as its user)"),
            "PORT": self.port,
            "TLS_PORT": self.tls_port,
            "STATE_DIR": self.state_dir,
            "RUN_DIR": self.run_dir,
            "LOG_DIR": self.log_dir,
            "SITE_DIR": self.site_dir,
            "STATIC_DIR": self.static_dir,
            "RUN_USER": user,
            "RUN_GROUP": group,
        }
        for name, port in self.responder_ports.items():
            values[f"{name.upper()}_PORT"] = port
        for name, path in self.responder_sockets.items():
            values[f"{name.upper()}_SOCKET"] = path
        if self.tls:
            values["TLS_CERT"] = Path(self.tls.cert).resolve()
            values["TLS_KEY"] = Path(self.tls.key).resolve()
        return values

    @staticmethod
    def _run_user():
        """Apache refuses to run its workers as root: as root they run as
        www-data (who must be able to read the site), else as ourselves.
        nginx's workers and fcgiwrap run as the same user."""
        if os.geteuid() == 0:
            return "www-data", "www-data"
        return pwd.getpwuid(os.geteuid()).pw_name, grp.getgrgid(os.getegid()).gr_name

    def _prepare(self):
        self.system_account = responder_system_account()
        for d in (self.state_dir, self.log_dir):
            d.mkdir(parents=True, exist_ok=True)
        # A kept state folder has the logs of earlier runs: logs() skips them.
        self.log_start = {p: p.stat().st_size for p in self.log_dir.iterdir()}
        # The web server's workers (www-data) reach run/ (the sockets) and
        # www/ through the state folder; they may pass it but not list it.
        os.chmod(self.state_dir, 0o711)
        os.chmod(self.log_dir, 0o755)
        self._choose_serve_root()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.run_dir, 0o755)
        for name in ("lighttpd.pid", "apache.pid", "cgid.sock", "nginx.pid",
                     "fcgiwrap.sock", *(f"{n}.sock" for n in RESPONDERS)):
            (self.run_dir / name).unlink(missing_ok=True)
        (self.serve_root / "www").mkdir(exist_ok=True)
        os.chmod(self.serve_root / "www", 0o755)
        if not self.site_source.is_dir():
            raise StackError(f"site folder {self.site_source} is missing")
        copy_for_others(self.site_source, self.site_dir)
        copy_for_others(SRC_DIR / "static", self.static_dir)
        self._write_secret()
        self._write_db_passwords()
        self._copy_programs_for_responders()
        write_ini(self.config_path, self.settings)
        if self.database is None:
            self._prepare_db_dir()
        if self._workers_other_user():
            # Left to fail: a temporary folder out of their reach ($TMPDIR).
            for path in (self.run_dir, self.site_dir, self.static_dir):
                _check_reachable_by_others(path, self.server)
        if self.server == "nginx":
            for path, package in NGINX_NEEDS.items():
                if not path.exists():
                    raise StackError(f"nginx needs {path} (Debian package {package})")
        if self.tls and not tls_supported(self.server):
            raise StackError(f"HTTPS under {self.server} needs {TLS_MODULES[self.server]}")
        template = (DEPLOY_DIR / f"{self.server}.conf.in").read_text()
        self.server_config_path.write_text(
            render(template, self._server_values(), bool(self.tls)))

    def _signing_keys_dir(self):
        """[sso] keys_dir as gatehouse.conf says it (keys_dir unless the
        settings name another), or None when it is set to nothing."""
        value = self.settings.get("sso", {}).get("keys_dir")
        return Path(value) if value else None

    def _ensure_signing_key(self):
        """Gatehouse's signing key for gatehouse-sso: `gatehousectl keys
        generate` (a key of signing_alg, mode 0600, in a folder of mode
        0700, and the public keys file beside it, [sso] public_keys_file,
        for gatehouse-check) when keys_dir holds no key yet; a kept state
        folder keeps its keys, and gets the public keys file when it has
        none (`keys publish`)."""
        keys = self._signing_keys_dir()
        if keys is None:
            return
        if not (keys.is_dir() and any(keys.glob("*.pem"))):
            self.ctl("keys", "generate", "--alg", self.signing_alg)
        elif not Path(f"{str(keys).rstrip('/')}.jwks").exists():
            self.ctl("keys", "publish")

    def _copy_programs_for_responders(self):
        """As root: when the responders' account cannot reach the programs
        or the templates where they are (a clone in a folder of mode 0700,
        mktemp -d), it runs copies in lib/ of serve_root, which it can."""
        self.responder_bin_dir = self.build_dir
        self.settings["general"]["templates_dir"] = templates = self.templates_source
        account = self.system_account
        programs = [self.program(f"gatehouse-{n}") for n in RESPONDERS]
        # The templates are shared/ and a folder per responder: every one of
        # their folders and files must be readable, not only the root.
        if account is None or unreachable_by(
                account, [*programs, templates, *sorted(Path(templates).rglob("*"))]) is None:
            return
        lib = self.serve_root / "lib"
        copy_for_others(templates, lib / "templates")
        (lib / "bin").mkdir(mode=0o755, exist_ok=True)
        for prog in programs:
            shutil.copy2(prog, lib / "bin" / prog.name)
            os.chmod(lib / "bin" / prog.name, 0o755)
        self.settings["general"]["templates_dir"] = lib / "templates"
        self.responder_bin_dir = lib / "bin"

    def _prepare_db_dir(self):
        """db/ for the SQLite database (0750, as gatehousectl makes it); the
        database of a state folder kept from before db/ existed is moved
        into it."""
        self.db_dir.mkdir(mode=0o750, exist_ok=True)
        old = self.state_dir / "gatehouse.db"
        if old.exists() and not self.db_path.exists():
            for suffix in ("", "-wal", "-shm"):
                if Path(f"{old}{suffix}").exists():
                    os.rename(f"{old}{suffix}", f"{self.db_path}{suffix}")

    def _responder_secret_files(self):
        """The files the responders read secrets from: every *_file of
        gatehouse.conf and of their environment, but not the admin's
        database password when each responder has an account of its own."""
        paths = set()
        for section, keys in self.settings.items():
            for key, value in keys.items():
                if key.endswith("_file") and not (section == "database" and self.responder_env):
                    paths.add(Path(value))
        for env in self.responder_env.values():
            paths.update(Path(v) for k, v in env.items() if k.endswith("_FILE"))
        return sorted(paths)

    def _hand_over_to_responders(self):
        """As root, what the responders' account needs before they start:
        db/ and every file in it (gatehousectl, run as root, may have just
        made the database; SQLite itself gives the -wal and -shm files a
        root process makes later to the database's owner), and
        gatehouse.conf and the secret files in its group, mode 0640 (as
        /etc/gatehouse/secret on a server, deploy/README.md).  Then checks
        that it can reach what it reads, so that a closed folder is named
        here rather than in a responder's log."""
        account = self.system_account
        if account is None:
            return
        if self.database is None:
            for path in [self.db_dir, *self.db_dir.iterdir()]:
                os.chown(path, account.uid, account.gid)
        # The signing keys, made by gatehousectl as root: gatehouse-sso's
        # alone (it refuses a key file that group or others may read).
        keys = self._signing_keys_dir()
        if keys is not None and keys.is_dir():
            for path in [keys, *keys.iterdir()]:
                os.chown(path, account.uid, account.gid)
        shared = [self.config_path, *self._responder_secret_files()]
        for path in shared:
            os.chown(path, -1, account.gid)
            os.chmod(path, 0o640)
        needed = [*(self.responder_bin_dir / f"gatehouse-{n}" for n in RESPONDERS),
                  self.settings["general"]["templates_dir"], *shared]
        if self.database is None:
            needed.append(self.db_dir)
        if keys is not None and keys.is_dir():
            needed.append(keys)
        path = unreachable_by(account, needed)
        if path is not None:
            raise StackError(f"the responders run as {account.user} (they refuse to run as "
                             f"root), who cannot reach {path}: every folder above it must "
                             f"let {account.user} pass (o+x, or group {account.group})")

    # -- Processes ---------------------------------------------------------

    def program(self, name):
        path = self.build_dir / name
        if not os.access(path, os.X_OK):
            raise StackError(f"{path} is missing: build first (scripts/build.sh)")
        return path

    def ctl(self, *args, input=None, check=True):
        """Runs gatehousectl --config CONF ARGS; returns the CompletedProcess
        (text).  With check, a non-zero exit raises StackError."""
        cmd = [str(self.program("gatehousectl")), "--config", str(self.config_path),
               *map(str, args)]
        proc = subprocess.run(cmd, input=input, capture_output=True, text=True,
                              stdin=None if input is not None else subprocess.DEVNULL)
        if check and proc.returncode != 0:
            raise StackError(f"{' '.join(cmd[3:])}: exit {proc.returncode}\n"
                             f"{proc.stdout}{proc.stderr}")
        return proc

    def _spawn(self, cmd, log_name, env=None):
        """Starts cmd with its output in log_name; env: variables added to
        (or replacing) ours for this process alone."""
        log = open(self.log_dir / log_name, "ab")
        try:
            return subprocess.Popen([str(c) for c in cmd], stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT,
                                    preexec_fn=_child_setup,
                                    env=dict(os.environ, **env) if env else None)
        finally:
            log.close()

    def _start_responders(self):
        """Each responder under spawn-fcgi -n: on its Unix socket in run/,
        mode 0660 and (as root) owned by the web server workers' user and
        group, so that no other local user may talk to it; the ones in
        responder_ports on loopback TCP.  As root, spawn-fcgi makes the
        socket, then drops to the responders' account (-u, -g)."""
        for name in RESPONDERS:
            if name in self.responder_ports:
                listen = ["-a", "127.0.0.1", "-p", self.responder_ports[name]]
            else:
                listen = ["-s", self.responder_sockets[name], "-M", "0660"]
                if os.geteuid() == 0:
                    user, group = self._run_user()
                    listen += ["-U", user, "-G", group]
            prog = self.responder_bin_dir / f"gatehouse-{name}"
            env = dict(self.responder_env.get(name, {}))
            if self.system_account is not None:
                # As under systemd's User=: the account's home, not ours
                # (libpq looks there for ~/.postgresql/ client certificates).
                env["HOME"] = self.system_account.home
            self.responders[name] = self._spawn(
                ["spawn-fcgi", "-n", *listen, *spawn_fcgi_user_args(), "--", prog,
                 "--config", self.config_path],
                f"gatehouse-{name}.log", env=env)

    def _start_fcgiwrap(self):
        """nginx runs no CGI itself: fcgiwrap does, on a Unix socket in
        run/ that only the web server's workers may use (0660, their
        user's); as root it runs as that user, as Apache's CGI does."""
        cmd = ["spawn-fcgi", "-n", "-s", self.run_dir / "fcgiwrap.sock", "-M", "0660"]
        if os.geteuid() == 0:
            user, group = self._run_user()
            cmd += ["-u", user, "-g", group, "-U", user, "-G", group]
        cmd += ["--", shutil.which("fcgiwrap") or "/usr/sbin/fcgiwrap", "-c", "2"]
        self.helpers["fcgiwrap"] = self._spawn(cmd, "fcgiwrap.log")

    def _start_web(self):
        if self.server == "lighttpd":
            cmd = ["lighttpd", "-D", "-f", self.server_config_path]
        elif self.server == "nginx":
            self._start_fcgiwrap()
            nginx = shutil.which("nginx") or "/usr/sbin/nginx"
            cmd = [nginx, "-c", self.server_config_path, "-p", f"{self.state_dir}/",
                   "-g", "daemon off;"]
        else:
            apache = shutil.which("apache2") or "/usr/sbin/apache2"
            cmd = [apache, "-f", self.server_config_path, "-DFOREGROUND"]
        self.web = self._spawn(cmd, f"{self.server}.out")

    def _probe(self, path):
        """Status of GET path on the plain port, or None when it does not
        answer (yet) within PROBE_TIMEOUT."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=PROBE_TIMEOUT)
        try:
            conn.request("GET", path)
            return conn.getresponse().status
        except OSError:
            return None
        finally:
            conn.close()

    def dead(self):
        """Names of the children that have exited."""
        procs = dict(self.responders, **self.helpers, web=self.web)
        return [name for name, p in procs.items() if p is not None and p.poll() is not None]

    def _wait_ready(self):
        """Until the login page, the published keys (gatehouse-sso) and a
        protected page answer without a server error: every process is up
        and talks to the others."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            dead = self.dead()
            if dead:
                raise StackError(f"exited during start: {', '.join(dead)}")
            statuses = {path: self._probe(path)
                        for path in ("/auth/login", "/auth/jwks.json", "/private/")}
            if all(s is not None and s < 500 for s in statuses.values()):
                return
            if time.monotonic() > deadline:
                got = ", ".join(f"GET {path}: {'no answer' if s is None else s}"
                                for path, s in statuses.items())
                raise StackError(f"no working answer after {START_TIMEOUT:.0f} s ({got})")
            time.sleep(0.1)

    def start(self):
        try:
            self._prepare()
            self.ctl("init")
            self._ensure_signing_key()
            self._hand_over_to_responders()
            self._start_responders()
            self._start_web()
            self._wait_ready()
        except BaseException as e:
            self.stop()
            if isinstance(e, StackError):
                raise StackError(f"{self.server} stack in {self.state_dir}: {e}\n"
                                 f"{self.logs()}") from None
            raise
        return self

    def stop(self):
        """Stops the web server, then the responders; harmless when called
        twice.  Returns {name: exit status}."""
        status = {}
        if self.web is not None:
            status["web"], = stop_processes([self.web])
        # fcgiwrap's preforked children and CGI scripts are in its process
        # group (see _child_setup) and would outlive it: the whole group gets
        # SIGTERM while fcgiwrap is unreaped, so the group id is still its
        # own.  It dies of that signal: its status is not reported.
        for proc in self.helpers.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        stop_processes(list(self.helpers.values()))
        names = list(self.responders)
        status.update(zip(names, stop_processes([self.responders[n] for n in names])))
        self.responder_exit.update((n, status[n]) for n in names)
        self._remove_temp_root()
        return status

    def responder_problems(self):
        """What went wrong with the responders of this run, as messages (an
        empty list when all is well); call it after stop().  A responder
        that exited with a status other than 0 (LeakSanitizer: 23, killed:
        negative) or whose log holds one of RESPONDER_LOG_ALARMS is named
        with the lines of its log around the alarm."""
        problems = []
        for name in self.responders:
            status = self.responder_exit.get(name)
            if status is None:
                problems.append(f"gatehouse-{name}: not stopped (no exit status)")
            elif status != 0:
                how = f"killed by signal {-status}" if status < 0 else f"exit status {status}"
                problems.append(f"gatehouse-{name}: {how}")
            path = self.log_dir / f"gatehouse-{name}.log"
            try:
                with open(path, "rb") as f:
                    f.seek(self.log_start.get(path, 0))
                    lines = f.read().decode(errors="replace").splitlines()
            except OSError:
                continue
            hits = [i for i, line in enumerate(lines)
                    if any(alarm in line for alarm in RESPONDER_LOG_ALARMS)]
            if hits:
                first = hits[0]
                excerpt = "\n".join(lines[max(0, first - 2):first + LOG_TAIL])
                problems.append(f"gatehouse-{name}: {len(hits)} alarming line(s) in {path}:\n"
                                f"{excerpt}")
        return problems

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- For callers ---------------------------------------------------------

    def url(self, path="/", https=False):
        if https:
            return f"https://127.0.0.1:{self.tls_port}{path}"
        return f"http://127.0.0.1:{self.port}{path}"

    def logs(self):
        """The ends of what this run wrote to the logs, for error messages."""
        parts = []
        for path in sorted(self.log_dir.glob("*")):
            text = tail(path, self.log_start.get(path, 0))
            if text.strip():
                parts.append(f"--- {path} (end) ---\n{text}")
        return "\n".join(parts) or "(all logs empty)"


# -- The demo ----------------------------------------------------------------


class _Stop(Exception):
    """SIGTERM or SIGINT asked the demo to stop."""


def _raise_stop(signum, frame):
    # A second Ctrl-C must not interrupt the orderly stop that follows.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise _Stop()


def ensure_admin(site):
    """Creates the user admin (role admin) with a random password unless the
    database has it already; returns gatehousectl's output or None."""
    show = site.ctl("user", "show", "admin", check=False)
    if show.returncode == 0:
        return None
    if show.returncode != 3:  # 3: not found
        raise StackError(f"user show admin: exit {show.returncode}\n{show.stdout}{show.stderr}")
    site.ctl("role", "add", "admin", "Administrators", check=False)
    return site.ctl("user", "add", "admin", "--role", "admin", "--random-password").stdout


def demo_state(given):
    """The demo's state folder: the one given, else state/ in the clone,
    unless we are root and the responders' account cannot pass through the
    clone's folders (a clone in a home folder of mode 0700): then
    DEMO_ROOT_STATE, where it can, and kept there as state/ would be."""
    if given is not None:
        return given
    state = SRC_DIR / "state"
    if responder_system_account() is not None and _closed_folder(state.parent):
        print(f"(state in {DEMO_ROOT_STATE}: the responders, who run as "
              f"{RESPONDER_USER}, cannot pass through {_closed_folder(state.parent)})",
              flush=True)
        return DEMO_ROOT_STATE
    return state


def demo(args):
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    server = "apache" if args.apache else "nginx" if args.nginx else "lighttpd"
    try:
        with Stack(demo_state(args.state), server=server, port=args.port) as site:
            created = ensure_admin(site)
            base = site.url("")
            print(f"Gatehouse demo under {server}, state in {site.state_dir}", flush=True)
            if site.serve_root != site.state_dir:
                print(f"(site copy and sockets in {site.serve_root}: the web server's "
                      "workers cannot pass through the state folder's parents)", flush=True)
            if created is not None:
                print("Created the user admin (role admin); its password, shown only once:")
                print("    " + created.strip().replace("\n", "\n    "))
            print(f"  {base}/            public page")
            print(f"  {base}/private/    needs a login")
            print(f"  {base}/admin/      needs the role admin")
            print(f"  {base}/auth/login")
            print(f"  {base}/auth/logout")
            print(f"  {base}/auth/jwks.json   the keys partners verify our tokens with")
            print("Logs in " + str(site.log_dir) + ". Stop with Ctrl-C.", flush=True)
            while True:
                dead = site.dead()
                if dead:
                    print(f"demo: {', '.join(dead)} exited\n{site.logs()}", file=sys.stderr)
                    return 1
                time.sleep(0.5)
    except _Stop:
        print("Stopped.", flush=True)
        return 0
    except StackError as e:
        print(f"demo: {e}", file=sys.stderr)
        return 1


def render_command(args):
    values = {}
    for item in args.values:
        name, sep, val = item.partition("=")
        if not sep:
            raise SystemExit(f"render: {item!r} is not NAME=VALUE")
        values[name] = val
    try:
        sys.stdout.write(render(Path(args.template).read_text(), values, args.tls))
    except StackError as e:
        raise SystemExit(f"render: {e}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="run the demo site until Ctrl-C or SIGTERM")
    which = d.add_mutually_exclusive_group()
    which.add_argument("--apache", action="store_true", help="Apache instead of lighttpd")
    which.add_argument("--nginx", action="store_true", help="nginx instead of lighttpd")
    d.add_argument("--port", type=int, default=8080)
    d.add_argument("--state", default=None, type=Path,
                   help="state folder, kept across runs (default: state/, or as root "
                   f"{DEMO_ROOT_STATE} when the clone is closed to {RESPONDER_USER})")
    r = sub.add_parser("render", help="fill a deploy/*.in template, print it")
    r.add_argument("template")
    r.add_argument("--tls", action="store_true", help="keep the @TLS@ lines")
    r.add_argument("values", nargs="*", metavar="NAME=VALUE")
    # parse_known_args: with "render TEMPLATE --tls NAME=VALUE..." argparse
    # has closed the list of values before --tls; the rest are values too.
    args, rest = parser.parse_known_args(argv)
    if rest:
        if args.command != "render" or any(a.startswith("-") for a in rest):
            parser.error(f"unrecognized arguments: {' '.join(rest)}")
        args.values += rest
    return demo(args) if args.command == "demo" else render_command(args)


if __name__ == "__main__":
    sys.exit(main())
