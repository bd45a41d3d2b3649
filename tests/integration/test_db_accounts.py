"""Least privilege on the server databases (design §5): each responder runs
under its own account from sql/<dialect>/grants.sql.  The rest of the suite
shows the accounts have what the responders need (a missing grant fails
the test that needs it); this test shows they have nothing more: statements
shaped like the responders' own pass, and writes beyond them are refused
with a privilege error.  Run as each account with the server's own client
over TCP (deploy/stack.py Database.sql_as), on statements that change no
row (WHERE matches nothing; INSERT ... SELECT of no row still needs the
privilege)."""

from harness import check, test

# A session row as session_create() inserts it, from no row at all.
INSERT_SESSION = (
    "INSERT INTO sessions (id, user_id, created_at, last_seen_at, expires_at, idle_timeout, "
    "auth_method, mfa, ip, user_agent, remember) "
    "SELECT 'none', id, 0, 0, 0, 0, 'form', 0, NULL, NULL, 0 FROM users WHERE 1 = 0")
INSERT_SHADOW = (
    "INSERT INTO users (username, email, password_hash, status, created_at, updated_at, "
    "external_id) SELECT 'none', NULL, NULL, 'active', 0, 0, 'none' FROM users WHERE 1 = 0")
READ_SESSION = ("SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id "
                "WHERE s.id = 'none' AND s.revoked_at IS NULL")
READ_ROLES = ("SELECT count(*) FROM user_roles ur JOIN roles r ON r.id = ur.role_id "
              "WHERE ur.user_id = -1")

ALLOWED = {
    "check": [
        READ_SESSION, READ_ROLES,
        "UPDATE sessions SET last_seen_at = 0 WHERE id = 'none'",
    ],
    "logout": [
        READ_SESSION, READ_ROLES,
        "UPDATE sessions SET last_seen_at = 0 WHERE id = 'none'",
        "UPDATE sessions SET revoked_at = 0 WHERE id = 'none' AND revoked_at IS NULL",
    ],
    "login": [
        "SELECT count(*) FROM users u WHERE u.username = 'none' OR u.email = 'none'",
        READ_ROLES,
        INSERT_SESSION,
        "UPDATE sessions SET revoked_at = 0 WHERE id = 'none' AND revoked_at IS NULL",
        "UPDATE users SET password_hash = 'x', updated_at = 0, last_password_change_at = 0 "
        "WHERE id = -1",
        "UPDATE users SET last_login_at = 0 WHERE id = -1",
        "SELECT id FROM users WHERE external_id = 'none'",
        INSERT_SHADOW,
        "UPDATE users SET username = 'x', email = NULL, updated_at = 0 WHERE id = -1",
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
        "SELECT count(*) FROM security_log",
        "SELECT count(*) FROM schema_migrations",
    ],
    "logout": [
        "UPDATE sessions SET user_id = 0 WHERE id = 'none'",
        "UPDATE sessions SET expires_at = 0 WHERE id = 'none'",
        "DELETE FROM sessions WHERE id = 'none'",
        INSERT_SESSION,
        "UPDATE users SET password_hash = 'x' WHERE id = -1",
        "SELECT count(*) FROM refresh_tokens",
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
    ],
}


# The grants do not depend on the web server: under lighttpd only.
@test("db_accounts_least_privilege", databases=("mariadb", "postgresql"), servers=("lighttpd",))
def db_accounts_least_privilege(site):
    database = site.stack.database
    check(database is not None, "this site has no server database")
    problems = []
    for responder, statements in ALLOWED.items():
        for sql in statements:
            r = database.sql_as(responder, sql + ";")
            if r.returncode != 0:
                problems.append(f"gatehouse_{responder} should be allowed: {sql}\n"
                                f"  {r.stderr.strip()}")
    for responder, statements in DENIED.items():
        for sql in statements:
            r = database.sql_as(responder, sql + ";")
            if r.returncode == 0:
                problems.append(f"gatehouse_{responder} should be refused: {sql}")
            elif "denied" not in r.stderr.lower():
                problems.append(f"gatehouse_{responder}: {sql}\n  failed, but not for "
                                f"want of a privilege: {r.stderr.strip()}")
    check(not problems, "\n".join(problems))
