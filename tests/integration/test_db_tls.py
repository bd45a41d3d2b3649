"""TLS to the server databases (issue 7, finding 7).  tests/dbserver.sh
starts MariaDB and PostgreSQL with a certificate of their own test CA, for
localhost and 127.0.0.1 only, listening on 127.0.0.1 and 127.0.0.2 (an
address the certificate does not name); DbServer.other_ca_file is a CA that
signed nothing here.  The URL options are libpq's names on both drivers:
sslmode=disable|require|verify-ca|verify-full and sslrootcert=CA.

- a whole site (its responders and gatehousectl) on verify-full serves
  logins, and on PostgreSQL the server sees every one of its connections
  encrypted (pg_stat_ssl);
- a wrong CA is refused in every mode that has a CA, the host name is
  checked by verify-full and not by verify-ca;
- on MariaDB, whose client library does not use TLS unless told, an
  account the server lets in only over TLS is reached with sslmode=require
  and not without an sslmode or with sslmode=disable;
- a database on another host without TLS is refused at start, with the
  file, line and key, before anything connects (the name is never looked
  up: only loopback is ever a target here).

The web server plays no part: these run under one (lighttpd)."""

import secrets
import subprocess

from fixtures import FAST_HASHING, Site, stack
from harness import check, site_kind, test

SERVER_DATABASES = ("mariadb", "postgresql")
PROBE = "gh_tls_probe"  # a MariaDB account that must use TLS


@site_kind("db_tls")
def db_tls_site(folder, server, database=None):
    db = database.database(f"{server}_tls").with_url_options(
        sslmode="verify-full", sslrootcert=database.ca_file)
    return Site(folder, server, "db_tls", settings=FAST_HASHING, database=db)


def ctl_with_url(site, url, password_file, name, *args):
    """gatehousectl ARGS (default: user list) with [database] url = url;
    returns the CompletedProcess."""
    server = site.stack.database.server
    config = site.stack.state_dir.parent / f"ctl-{name}.conf"
    config.write_text("[general]\n"
                      f"sql_dir = {stack.SRC_DIR / 'sql'}\n"
                      "[database]\n"
                      f"url = {url}\n"
                      f"password_file = {password_file}\n")
    prog = server.build_dir / "gatehousectl"
    return subprocess.run([str(prog), "--config", str(config), *(args or ("user", "list"))],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)


def admin_url(site, host="127.0.0.1", **options):
    """The admin account's URL of the default database with options."""
    server = site.stack.database.server
    return stack._url_with(server.default.url, host=host, options=options)


@test("db_tls_verify_full_site_serves_logins", kind="db_tls", servers=("lighttpd",),
      databases=SERVER_DATABASES)
def db_tls_verify_full_site_serves_logins(site):
    db = site.stack.database
    check("sslmode=verify-full" in db.url and "sslrootcert=" in db.url,
          f"the site's database URL is not the TLS one: {db.url}")
    name, password = site.new_user("tls", roles=["admin"])
    jar = site.login(name, password)
    site.assert_session_valid(jar, "a session made over a verify-full connection")
    r = site.get("/admin/", jar=jar)
    check(r.status == 200 and "Admin page" in r.text, "GET /admin/ with the session", r)
    if db.kind == "postgresql":
        out = db.server.sql(
            "SELECT count(*) FILTER (WHERE s.ssl), count(*) FILTER (WHERE NOT s.ssl) "
            "FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
            f"WHERE a.datname = '{db.name}' AND a.usename <> 'postgres'").split()
        encrypted, plain = int(out[0]), int(out[1])
        check(encrypted >= 2 and plain == 0,
              f"the responders' connections to {db.name}: {encrypted} encrypted, "
              f"{plain} not (want the login's and the check's, all encrypted)")


@test("db_tls_wrong_ca_and_wrong_name_refused", kind="db_tls", servers=("lighttpd",),
      databases=SERVER_DATABASES)
def db_tls_wrong_ca_and_wrong_name_refused(site):
    server = site.stack.database.server
    good, other = server.ca_file, server.other_ca_file
    cases = [
        # host, options, connects
        ("127.0.0.1", dict(sslmode="verify-full", sslrootcert=good), True),
        ("127.0.0.1", dict(sslmode="verify-ca", sslrootcert=good), True),
        ("127.0.0.1", dict(sslmode="require"), True),
        ("127.0.0.1", dict(sslmode="verify-full", sslrootcert=other), False),
        ("127.0.0.1", dict(sslmode="verify-ca", sslrootcert=other), False),
        # require with a CA verifies the chain, as libpq does.
        ("127.0.0.1", dict(sslmode="require", sslrootcert=other), False),
        # 127.0.0.2 is not a name of the certificate.
        ("127.0.0.2", dict(sslmode="verify-full", sslrootcert=good), False),
        ("127.0.0.2", dict(sslmode="verify-ca", sslrootcert=good), True),
    ]
    for n, (host, options, connects) in enumerate(cases):
        what = f"{server.kind} at {host} with {options}"
        proc = ctl_with_url(site, admin_url(site, host=host, **options), server.password_file,
                            f"case{n}")
        if connects:
            check(proc.returncode == 0, f"{what}: expected to connect, exit "
                  f"{proc.returncode}: {proc.stderr.strip()}")
        else:
            check(proc.returncode != 0, f"{what}: connected, expected a refusal")
            check("certificate" in proc.stderr.lower() or "host name" in proc.stderr.lower(),
                  f"{what}: refused, but not for the certificate: {proc.stderr.strip()}")


@test("db_tls_sslmode_decides_encryption", kind="db_tls", servers=("lighttpd",),
      databases=("mariadb",))
def db_tls_sslmode_decides_encryption(site):
    server = site.stack.database.server
    password = secrets.token_hex(12)
    pw_file = site.stack.state_dir.parent / "probe-password"
    pw_file.write_text(password + "\n")
    pw_file.chmod(0o600)
    server.sql(f"DROP USER IF EXISTS '{PROBE}'@'127.0.0.1';"
               f"CREATE USER '{PROBE}'@'127.0.0.1' IDENTIFIED BY '{password}' REQUIRE SSL;"
               f"GRANT SELECT ON gatehouse.* TO '{PROBE}'@'127.0.0.1';")
    try:
        for options, connects in ((dict(), False), (dict(sslmode="disable"), False),
                                  (dict(sslmode="require"), True),
                                  (dict(sslmode="verify-full", sslrootcert=server.ca_file), True)):
            url = stack._url_with(server.default.url, user=PROBE, options=options)
            proc = ctl_with_url(site, url, pw_file, "probe")
            what = f"an account that must use TLS, with {options or 'no sslmode'}"
            if connects:
                check(proc.returncode == 0, f"{what}: expected to connect, exit "
                      f"{proc.returncode}: {proc.stderr.strip()}")
            else:
                check(proc.returncode != 0 and "access denied" in proc.stderr.lower(),
                      f"{what}: expected the server to refuse it, exit {proc.returncode}: "
                      f"{proc.stderr.strip()}")
    finally:
        server.sql(f"DROP USER IF EXISTS '{PROBE}'@'127.0.0.1'")


@test("db_tls_remote_host_without_tls_refused_at_start", kind="db_tls",
      servers=("lighttpd",), databases=SERVER_DATABASES)
def db_tls_remote_host_without_tls_refused_at_start(site):
    server = site.stack.database.server
    # A name under .invalid (RFC 6761) that nothing looks up: the refusal
    # comes from the URL alone, before any connection.
    for options in (dict(), dict(sslmode="prefer")):
        if server.kind == "mariadb" and options:
            continue  # MariaDB has no "prefer" at all (unit tests)
        url = admin_url(site, host="db.example.invalid", **options)
        proc = ctl_with_url(site, url, server.password_file, "remote")
        check(proc.returncode != 0, f"{url}: accepted, expected a refusal at start")
        check(":4: [database] url: names a database on another host" in proc.stderr,
              f"{url}: not refused with the file, line and key: {proc.stderr.strip()}")
        check("cannot connect" not in proc.stderr and "cannot open" not in proc.stderr,
              f"{url}: it tried to connect: {proc.stderr.strip()}")
    # Said explicitly, plaintext is the operator's choice (to 127.0.0.1
    # here: the rule is about the URL, the connection is real).
    proc = ctl_with_url(site, admin_url(site, sslmode="disable"), server.password_file,
                        "disable")
    check(proc.returncode == 0, f"sslmode=disable to 127.0.0.1: exit {proc.returncode}: "
          f"{proc.stderr.strip()}")
