"""Least privilege on the server databases (design §5): each responder runs
under its own account from sql/<dialect>/grants.sql.  The rest of the suite
shows the accounts have what the responders need (a missing grant fails
the test that needs it); this test shows they have nothing more: statements
shaped like the responders' own pass, and writes beyond them are refused
with a privilege error.  Run as each account with the server's own client
over TCP (deploy/stack.py Database.sql_as), on statements that change no
row (WHERE matches nothing; INSERT ... SELECT of no row still needs the
privilege).

The audit trail (security_log) is append-only for the responders: the
login, the logout and the sso may INSERT into it (the check too, for its
one event "throttled"), and no responder may UPDATE, DELETE or read it.

gatehouse-sso finds users by name or e-mail and creates them
(auto-provisioning) but changes nothing else of a user: a partner's roles
go into the session alone, never into user_roles.  It alone writes the
replay record of partner tokens (sso_jti).

Reads are granted on columns: the check and the logout cannot read
users.password_hash or users.mfa_secret, the login (which verifies the
password) cannot read mfa_secret; grants.sql run again over the table-wide
SELECT of its earlier versions takes that away.  The check and the logout
read a session's roles from its row (written by the login), no longer
user_roles; on MariaDB the check alone reads the session cache's log
(cache_revocations), which only the triggers write.  The check alone reads
personal access tokens (the columns pat_lookup reads, never the name) and
writes their last_used_at, nothing else of them.  For the Authorization
header the check also reads the access-token blacklist by jti (nothing
else of it, and never writes it) and counts refused credentials in the
throttle table as the login does (read, insert, update; never delete)."""

from fixtures import LOGOUT
from harness import check, test

# A session row as session_create() inserts it, from no row at all.
INSERT_SESSION = (
    "INSERT INTO sessions (id, user_id, created_at, last_seen_at, expires_at, idle_timeout, "
    "auth_method, mfa, ip, user_agent, remember, roles) "
    "SELECT 'none', id, 0, 0, 0, 0, 'form', 0, NULL, NULL, 0, '' FROM users WHERE 1 = 0")
INSERT_SHADOW = (
    "INSERT INTO users (username, email, password_hash, status, created_at, updated_at, "
    "external_id) SELECT 'none', NULL, NULL, 'active', 0, 0, 'none' FROM users WHERE 1 = 0")
# An audit row as audit_write() inserts it (common/audit.c), from no row.
INSERT_AUDIT = (
    "INSERT INTO security_log (event_type, user_id, at, ip, user_agent, result, reason, "
    "context) SELECT 'logout', NULL, 0, NULL, NULL, 'success', NULL, NULL "
    "FROM users WHERE 1 = 0")
# A user as user_add() inserts it (common/user.c), for gatehouse-sso's
# auto-provisioning, from no row.
INSERT_PROVISIONED = (
    "INSERT INTO users (username, email, password_hash, status, created_at, updated_at, "
    "last_password_change_at) SELECT 'none', NULL, NULL, 'active', 0, 0, NULL FROM users "
    "WHERE 1 = 0")
# A partner token's jti spent (partner_jti_use(), common/partner.c), from no row.
INSERT_JTI = ("INSERT INTO sso_jti (jti, issuer, expires_at) SELECT 'none', 'none', 0 "
              "FROM users WHERE 1 = 0")
# The token API's refresh tokens (common/refresh.c): the row of a token
# with its session and user, a new one, its consumption, the revocation of
# a family, and the blacklisting of the family's access tokens.
READ_REFRESH = (
    "SELECT r.family_id, r.user_id, r.session_id, r.expires_at, r.replaced_by, r.revoked_at, "
    "s.revoked_at, s.expires_at, s.roles, u.status, u.username, u.email "
    "FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id "
    "JOIN users u ON u.id = r.user_id WHERE r.id = 'none'")
INSERT_REFRESH = (
    "INSERT INTO refresh_tokens (id, family_id, user_id, session_id, issued_at, expires_at, "
    "device_info, access_jti, access_expires_at) "
    "SELECT 'none', 'none', id, 'none', 0, 0, NULL, 'none', 0 FROM users WHERE 1 = 0")
REFRESH_CHANGES = [
    "UPDATE refresh_tokens SET replaced_by = 'x' WHERE id = 'none' AND replaced_by IS NULL "
    "AND revoked_at IS NULL",
    "UPDATE refresh_tokens SET revoked_at = 0 WHERE family_id = 'none' AND revoked_at IS NULL",
    "UPDATE refresh_tokens SET revoked_at = 0 WHERE user_id = -1 AND revoked_at IS NULL",
    "INSERT INTO revoked_jti (jti, expires_at) SELECT access_jti, access_expires_at "
    "FROM refresh_tokens WHERE family_id = 'none' AND access_jti IS NOT NULL "
    "AND access_expires_at > 0",
]
# What only gatehousectl (the owner) does with the token API's rows.
REFRESH_TAMPERING = [
    "UPDATE refresh_tokens SET expires_at = 0 WHERE 1 = 0",
    "UPDATE refresh_tokens SET user_id = 0 WHERE 1 = 0",
    "DELETE FROM refresh_tokens WHERE 1 = 0",
    "UPDATE revoked_jti SET expires_at = 0 WHERE 1 = 0",
    "DELETE FROM revoked_jti WHERE 1 = 0",
]
# The audit trail is append-only for every responder: none may change,
# erase or read it (only gatehousectl, the owner, lists and purges it).
AUDIT_TAMPERING = [
    "UPDATE security_log SET result = 'success' WHERE 1 = 0",
    "UPDATE security_log SET at = 0 WHERE 1 = 0",
    "DELETE FROM security_log WHERE 1 = 0",
    "SELECT count(*) FROM security_log",
]
# The columns session_lookup() reads (common/session.c), the roles written
# into the session at login among them, and the role names the login
# aggregates into it (common/user.h, USER_ROLES_SQL_*), which the check and
# the logout no longer read.
READ_SESSION = ("SELECT s.user_id, u.username, u.email, s.created_at, s.expires_at, "
                "s.last_seen_at, s.idle_timeout, s.mfa, u.status, s.roles "
                "FROM sessions s JOIN users u ON u.id = s.user_id "
                "WHERE s.id = 'none' AND s.revoked_at IS NULL")
READ_ROLES = ("SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id "
              "WHERE ur.user_id = -1")
# The columns pat_lookup() reads (common/pat.c), and its touch.
READ_TOKEN = ("SELECT t.user_id, u.username, u.email, u.status, t.roles, t.expires_at, "
              "t.last_used_at FROM personal_access_tokens t JOIN users u ON u.id = t.user_id "
              "WHERE t.id = 'none' AND t.revoked_at IS NULL")
TOUCH_TOKEN = "UPDATE personal_access_tokens SET last_used_at = 0 WHERE id = 'none'"
# The blacklist lookup of jwt_access_revoked() (common/jwt_access.c), and
# what only the token API and gatehousectl do with the blacklist.
READ_REVOKED_JTI = "SELECT 1 FROM revoked_jti WHERE jti = 'none'"
JTI_TAMPERING = [
    "SELECT expires_at FROM revoked_jti",
    "INSERT INTO revoked_jti (jti, expires_at) SELECT 'none', 0 FROM users WHERE 1 = 0",
    "DELETE FROM revoked_jti WHERE jti = 'none'",
    "UPDATE revoked_jti SET expires_at = 0 WHERE jti = 'none'",
]


def throttle_statements(kind):
    """(allowed, denied) of the throttle table for the check on kind's
    dialect (MariaDB quotes the column key): throttle_check()'s read and
    throttle_fail()'s UPSERT (common/throttle.c, from no row); the purge,
    gatehousectl's alone."""
    key = "`key`" if kind == "mariadb" else "key"
    conflict = ("ON DUPLICATE KEY UPDATE" if kind == "mariadb" else
                f"ON CONFLICT ({key}) DO UPDATE SET")
    read = f"SELECT blocked_until, count, window_start FROM throttle WHERE {key} = 'none'"
    upsert = (f"INSERT INTO throttle ({key}, window_start, count, blocked_until) "
              f"SELECT 'none', 0, 1, 0 FROM users WHERE 1 = 0 {conflict} "
              "blocked_until = throttle.blocked_until, count = throttle.count + 1, "
              "window_start = throttle.window_start")
    return [read, upsert], [f"DELETE FROM throttle WHERE {key} = 'none'"]


# What only gatehousectl (the owner) does with tokens.
TOKEN_TAMPERING = [
    "UPDATE personal_access_tokens SET revoked_at = NULL WHERE id = 'none'",
    "UPDATE personal_access_tokens SET roles = 'admin' WHERE id = 'none'",
    "UPDATE personal_access_tokens SET expires_at = NULL WHERE id = 'none'",
    "DELETE FROM personal_access_tokens WHERE id = 'none'",
    "INSERT INTO personal_access_tokens (id, user_id, name, roles, created_at) "
    "SELECT 'none', id, 'x', '', 0 FROM users WHERE 1 = 0",
    "SELECT name, created_at FROM personal_access_tokens",
]
# MariaDB: the check's session cache polls the log of changes the triggers
# write (common/session_feed.c); no responder writes it, and only the
# check reads it.
READ_CACHE_LOG = [
    "SELECT COALESCE(MAX(seq), 0), CONNECTION_ID() FROM cache_revocations",
    "SELECT seq, kind, ref FROM cache_revocations WHERE seq > 0 ORDER BY seq LIMIT 10",
]
WRITE_CACHE_LOG = [
    "INSERT INTO cache_revocations (kind, ref, at) SELECT kind, ref, at FROM cache_revocations "
    "WHERE 1 = 0",
    "DELETE FROM cache_revocations WHERE seq = 0",
]
ALLOWED_MARIADB = {"check": READ_CACHE_LOG}
DENIED_MARIADB = {
    "check": WRITE_CACHE_LOG,
    "logout": READ_CACHE_LOG[1:] + WRITE_CACHE_LOG,
    "login": READ_CACHE_LOG[1:] + WRITE_CACHE_LOG,
    "sso": READ_CACHE_LOG[1:] + WRITE_CACHE_LOG,
}
# The columns user_find() reads (common/user.c).
READ_USER = ("SELECT u.id, u.username, u.email, u.password_hash, u.status, u.created_at, "
             "u.last_login_at FROM users u WHERE u.username = 'none' OR u.email = 'none'")
# What no responder but those that check passwords (the login, and the sso
# for its token API's password grant) may read, and they only password_hash.
SECRET_COLUMNS = {
    "check": ("password_hash", "mfa_secret"),
    "logout": ("password_hash", "mfa_secret"),
    "login": ("mfa_secret",),
    "sso": ("mfa_secret",),
}

ALLOWED = {
    "check": [
        READ_SESSION,
        "UPDATE sessions SET last_seen_at = 0 WHERE id = 'none'",
        READ_TOKEN,
        TOUCH_TOKEN,
        READ_REVOKED_JTI,
        INSERT_AUDIT,  # "throttled", for refused credentials
    ],
    "logout": [
        READ_SESSION,
        "UPDATE sessions SET last_seen_at = 0 WHERE id = 'none'",
        "UPDATE sessions SET revoked_at = 0 WHERE id = 'none' AND revoked_at IS NULL",
        INSERT_AUDIT,
    ],
    "login": [
        READ_USER,
        READ_ROLES,
        INSERT_SESSION,
        "UPDATE sessions SET revoked_at = 0 WHERE id = 'none' AND revoked_at IS NULL",
        "UPDATE users SET password_hash = 'x', updated_at = 0, last_password_change_at = 0 "
        "WHERE id = -1",
        "UPDATE users SET last_login_at = 0 WHERE id = -1",
        "SELECT id FROM users WHERE external_id = 'none'",
        INSERT_SHADOW,
        "UPDATE users SET username = 'x', email = NULL, updated_at = 0 WHERE id = -1",
        INSERT_AUDIT,
    ],
    # gatehouse-sso (responders/sso.c): the user the token names, by name or
    # by e-mail; a provisioned one; the session with the partner's roles
    # added; the session it replaces revoked; /sso/out's session lookup;
    # the jti spent.  Its token API (responders/sso_token.c): a password
    # checked as the login does, and the refresh tokens.
    "sso": [
        READ_USER,
        "UPDATE users SET password_hash = 'x', updated_at = 0, last_password_change_at = 0 "
        "WHERE id = -1",
        "UPDATE users SET failed_login_attempts = 0, locked_until = NULL WHERE id = -1",
        "SELECT id FROM users WHERE external_id = 'none'",
        INSERT_SHADOW,
        "SELECT blocked_until, count, window_start FROM throttle WHERE 1 = 0",
        READ_REFRESH,
        INSERT_REFRESH,
        *REFRESH_CHANGES,
        "SELECT id, status, username FROM users WHERE username = 'none'",
        "SELECT id, status, username FROM users WHERE email = 'none'",
        INSERT_PROVISIONED,
        "UPDATE users SET last_login_at = 0 WHERE id = -1",
        READ_ROLES,
        INSERT_SESSION,
        "SELECT roles FROM sessions WHERE id = 'none'",
        "UPDATE sessions SET roles = '' WHERE id = 'none'",
        "UPDATE sessions SET revoked_at = 0 WHERE id = 'none' AND revoked_at IS NULL",
        READ_SESSION,
        "UPDATE sessions SET last_seen_at = 0 WHERE id = 'none'",
        INSERT_JTI,
        INSERT_AUDIT,
    ],
}

DENIED = {
    "check": [
        "UPDATE sessions SET revoked_at = 0 WHERE id = 'none'",
        "UPDATE sessions SET expires_at = 0 WHERE id = 'none'",
        "DELETE FROM sessions WHERE id = 'none'",
        INSERT_SESSION,
        "UPDATE users SET status = 'active' WHERE id = -1",
        "INSERT INTO user_roles (user_id, role_id) SELECT user_id, role_id FROM user_roles "
        "WHERE 1 = 0",
        "SELECT count(*) FROM schema_migrations",
        "SELECT * FROM users",
        "SELECT user_agent, ip FROM sessions",
        "SELECT description FROM roles",
        READ_ROLES,  # the roles are in the session's row
        INSERT_JTI,
        *AUDIT_TAMPERING,
        *TOKEN_TAMPERING,
        *JTI_TAMPERING,
    ],
    "logout": [
        "UPDATE sessions SET user_id = 0 WHERE id = 'none'",
        "UPDATE sessions SET expires_at = 0 WHERE id = 'none'",
        "DELETE FROM sessions WHERE id = 'none'",
        INSERT_SESSION,
        "UPDATE users SET password_hash = 'x' WHERE id = -1",
        "SELECT count(*) FROM refresh_tokens",
        "SELECT * FROM users",
        "SELECT user_agent, ip FROM sessions",
        READ_ROLES,
        INSERT_JTI,
        *AUDIT_TAMPERING,
        READ_TOKEN,
        TOUCH_TOKEN,
    ],
    "login": [
        "SELECT expires_at FROM sessions",
        "UPDATE sessions SET expires_at = 0 WHERE id = 'none'",
        "UPDATE sessions SET last_seen_at = 0 WHERE id = 'none'",
        "DELETE FROM sessions WHERE id = 'none'",
        "UPDATE users SET status = 'active' WHERE id = -1",
        "UPDATE users SET external_id = 'x' WHERE id = -1",
        "DELETE FROM users WHERE id = -1",
        "INSERT INTO user_roles (user_id, role_id) SELECT user_id, role_id FROM user_roles "
        "WHERE 1 = 0",
        "INSERT INTO roles (name) SELECT name FROM roles WHERE 1 = 0",
        "SELECT count(*) FROM schema_migrations",
        "CREATE TABLE gh_probe (x INT)",
        "SELECT * FROM users",
        INSERT_JTI,
        *AUDIT_TAMPERING,
        READ_TOKEN,
        TOUCH_TOKEN,
    ],
    "sso": [
        "UPDATE users SET status = 'active' WHERE id = -1",
        "UPDATE users SET external_id = 'x' WHERE id = -1",
        "DELETE FROM users WHERE id = -1",
        # A partner's roles are the session's alone, never the user's.
        "INSERT INTO user_roles (user_id, role_id) SELECT user_id, role_id FROM user_roles "
        "WHERE 1 = 0",
        "DELETE FROM user_roles WHERE user_id = -1",
        "INSERT INTO roles (name) SELECT name FROM roles WHERE 1 = 0",
        "UPDATE sessions SET expires_at = 0 WHERE id = 'none'",
        "UPDATE sessions SET user_id = 0 WHERE id = 'none'",
        "DELETE FROM sessions WHERE id = 'none'",
        "SELECT user_agent, ip FROM sessions",
        # The replay record is written once, never read, changed or
        # erased (a jti erased could be used again).
        "SELECT jti FROM sso_jti",
        "UPDATE sso_jti SET expires_at = 0 WHERE 1 = 0",
        "DELETE FROM sso_jti WHERE 1 = 0",
        "SELECT device_info, issued_at FROM refresh_tokens",
        *REFRESH_TAMPERING,
        "SELECT count(*) FROM schema_migrations",
        "SELECT * FROM users",
        *AUDIT_TAMPERING,
        READ_TOKEN,
        TOUCH_TOKEN,
        *TOKEN_TAMPERING,
    ],
}


def privilege_problems(database, allowed=None, denied=None):
    """What goes against allowed and denied ({responder: [statement]}) on
    database, one message each: an allowed statement that fails, a denied
    one that runs or fails for another reason than a privilege."""
    problems = []
    for responder, statements in (allowed or {}).items():
        for sql in statements:
            r = database.sql_as(responder, sql + ";")
            if r.returncode != 0:
                problems.append(f"gatehouse_{responder} should be allowed: {sql}\n"
                                f"  {r.stderr.strip()}")
    for responder, statements in (denied or {}).items():
        for sql in statements:
            r = database.sql_as(responder, sql + ";")
            if r.returncode == 0:
                problems.append(f"gatehouse_{responder} should be refused: {sql}")
            elif "denied" not in r.stderr.lower():
                problems.append(f"gatehouse_{responder}: {sql}\n  failed, but not for "
                                f"want of a privilege: {r.stderr.strip()}")
    return problems


def for_dialect(statements, extra):
    """{responder: [statement]} with the dialect's extra ones added."""
    return {responder: list(statements.get(responder, [])) + list(extra.get(responder, []))
            for responder in set(statements) | set(extra)}


def dialect_extra(kind, mariadb_extra, which):
    """{responder: [statement]} of kind's dialect beyond the common ones:
    mariadb_extra on MariaDB, and the check's throttle statements (which:
    0 allowed, 1 denied)."""
    extra = {r: list(v) for r, v in (mariadb_extra if kind == "mariadb" else {}).items()}
    extra.setdefault("check", []).extend(throttle_statements(kind)[which])
    return extra


def allowed_for(database):
    return for_dialect(ALLOWED, dialect_extra(database.kind, ALLOWED_MARIADB, 0))


def denied_for(database):
    return for_dialect(DENIED, dialect_extra(database.kind, DENIED_MARIADB, 1))


def secret_reads():
    """{responder: [SELECT of each column it must not read]}."""
    return {responder: [f"SELECT {column} FROM users" for column in columns]
            for responder, columns in SECRET_COLUMNS.items()}


# The accounts of the versions of grants.sql that granted SELECT on whole
# tables (gatehouse_sso came later, with column grants only).
TABLE_SELECT_ONCE = ("check", "logout", "login")


def grant_table_select(database):
    """Grants, as the administrator, SELECT on the whole of the four tables
    to the accounts of TABLE_SELECT_ONCE, as grants.sql did before its
    column grants."""
    tables = ("sessions", "users", "roles", "user_roles")
    if database.kind == "mariadb":
        accounts = ", ".join(f"'gatehouse_{r}'@'{host}'" for r in TABLE_SELECT_ONCE
                             for host in ("localhost", "127.0.0.1"))
        database.sql("".join(f"GRANT SELECT ON {t} TO {accounts};\n" for t in tables))
    else:
        accounts = ", ".join(f"gatehouse_{r}" for r in TABLE_SELECT_ONCE)
        database.sql(f"GRANT SELECT ON {', '.join(tables)} TO {accounts};")


# The grants do not depend on the web server: under lighttpd only.
@test("db_accounts_least_privilege", databases=("mariadb", "postgresql"), servers=("lighttpd",))
def db_accounts_least_privilege(site):
    database = site.stack.database
    check(database is not None, "this site has no server database")
    problems = privilege_problems(database, allowed_for(database), denied_for(database))
    check(not problems, "\n".join(problems))


@test("db_accounts_secret_columns_refused", databases=("mariadb", "postgresql"),
      servers=("lighttpd",))
def db_accounts_secret_columns_refused(site):
    database = site.stack.database
    check(database is not None, "this site has no server database")
    # The same accounts read the other columns of users: the refusals below
    # are for the columns, not for the table or the connection.
    problems = privilege_problems(
        database, allowed={"check": [READ_SESSION], "logout": [READ_SESSION],
                           "login": [READ_USER], "sso": [READ_SESSION]},
        denied=secret_reads())
    check(not problems, "\n".join(problems))


@test("db_accounts_grants_rerun_drops_table_select", kind="own",
      databases=("mariadb", "postgresql"), servers=("lighttpd",))
def db_accounts_grants_rerun_drops_table_select(site):
    database = site.stack.database
    check(database is not None, "this site has no server database")
    grant_table_select(database)
    # Without this, the test below would pass whatever grants.sql does.
    problems = privilege_problems(database, allowed={
        r: reads for r, reads in secret_reads().items() if r in TABLE_SELECT_ONCE})
    check(not problems, "granting SELECT on the whole tables did not take:\n" +
          "\n".join(problems))
    database.apply_grants()  # grants.sql again, as after an upgrade
    problems = privilege_problems(database, allowed_for(database), secret_reads())
    check(not problems, "after grants.sql ran again:\n" + "\n".join(problems))
    # And the responders, connected all along, still do their work.
    name, password = site.new_user("regrant")
    jar = site.login(name, password)
    site.assert_session_valid(jar, "a session made after grants.sql ran again")
    r = site.http.post_form(LOGOUT, {"csrf": site.logout_form(jar)}, jar=jar)
    check(r.status == 200 and "You have been logged out." in r.text,
          "logout after grants.sql ran again: expected 200 and the logged-out page", r)
    site.assert_session_refused(jar, "the session after logout")
