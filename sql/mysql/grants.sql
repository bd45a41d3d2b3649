-- Gatehouse least-privilege accounts, MariaDB/MySQL: one account per
-- responder, with only the privileges its queries need.  gatehousectl
-- (init, migrate, user and role commands, purge) runs under the account
-- that owns the database (ALL on it); the responders never do.
--
--   gatehouse_check   reads the columns of sessions and users a session
--                     lookup needs (MariaDB: and its cache's log), and of
--                     personal_access_tokens a token lookup needs, and the
--                     access-token blacklist (revoked_jti.jti); writes
--                     sessions.last_seen_at and
--                     personal_access_tokens.last_used_at only; counts
--                     refused credentials in the throttle table's rows
--                     (SELECT, INSERT, UPDATE)
--   gatehouse_login   reads the columns of users, roles and user_roles a
--                     login needs (password_hash included); creates
--                     sessions, revokes the one it replaces
--                     (sessions.revoked_at; it reads sessions.id and
--                     .revoked_at to find it); writes users' rehashed
--                     password_hash, last_login_at, and the shadow rows of an
--                     external user store ([users] source = external: INSERT,
--                     and UPDATE username/email); counts refused logins
--                     (users.failed_login_attempts, locked_until) and
--                     the throttle table's rows (SELECT, INSERT, UPDATE)
--   gatehouse_logout  reads what the check reads; writes sessions.revoked_at
--                     and .last_seen_at
--   gatehouse_sso     reads users' id, name, e-mail and status (not the
--                     password hash) and the roles a new session takes;
--                     creates users (auto-provisioning; nothing else of
--                     a user changes but last_login_at) and sessions,
--                     adds a partner's mapped roles to its new session
--                     (never to user_roles), revokes the session it
--                     replaces; reads what the check reads (/sso/out);
--                     records each partner token's jti (sso_jti: INSERT
--                     only, its primary key refuses a replay; gatehousectl
--                     purge deletes the expired ones); for the token API,
--                     what the login reads and writes to check a password
--                     (password_hash included), and its refresh tokens
--                     (refresh_tokens: SELECT, INSERT, UPDATE of
--                     replaced_by and revoked_at) and the access-token
--                     blacklist (revoked_jti: SELECT jti, INSERT)
--
-- The login, the logout and the sso write the audit trail (common/audit.c): INSERT
-- into security_log, nothing else on it (no SELECT, UPDATE or DELETE: a
-- responder can add to the log but neither read, change nor erase it; the
-- id comes from AUTO_INCREMENT, which needs nothing more).  The check
-- writes one event only, "throttled" (a client blocked for its refused
-- credentials), with the same INSERT and nothing more.
--
-- Every SELECT is granted on columns, never on a whole table: no responder
-- can read users.mfa_secret, and only the login can read password_hash.
--
-- Run it as an administrator who may create accounts and grant (root),
-- AFTER `gatehousectl init` (a grant on a column needs the table), in the
-- Gatehouse database, with the passwords in user variables and the host the
-- responders connect from in @gh_host ('localhost', the default, is the Unix
-- socket; '127.0.0.1' is TCP on the same machine; '10.0.0.%' a network).
-- Feed both to the client on its standard input, so that it stops at the
-- first error (SOURCE inside the client would go on after one):
--
--   { echo "SET @gh_host = 'localhost', @pw_check = '$(cat db-password-check)',"
--     echo "    @pw_login = '$(cat db-password-login)', @pw_logout = '$(cat db-password-logout)',"
--     echo "    @pw_sso = '$(cat db-password-sso)';"
--     cat /usr/local/share/gatehouse/sql/mysql/grants.sql
--   } | mysql -u root gatehouse
--
-- (passwords without ' or \, e.g. `openssl rand -hex 18`; this way they
-- appear neither in `ps` nor in the shell history).  For several hosts, run
-- it once per host with the same passwords.  Running it again sets the
-- passwords again and adds what is missing; the only privilege it removes
-- is the table-wide SELECT on these four tables that earlier versions of
-- this file granted (the column grants below replace it).  A password that
-- is not set, or no database selected, stops it with an error before
-- anything is created.
--
-- The responders then get their own account in their environment, e.g. in
-- a drop-in for the systemd template unit of the four, gatehouse@.service
-- (%i: check, login, logout or sso):
--   Environment=GATEHOUSE_DATABASE_URL=mysql://gatehouse_%i@localhost/gatehouse?socket=/run/mysqld/mysqld.sock
--   Environment=GATEHOUSE_DATABASE_PASSWORD_FILE=/etc/gatehouse/db-password-%i

SET @gh_host = IFNULL(NULLIF(@gh_host, ''), 'localhost');

-- Every statement below is built as text, because CREATE USER and GRANT
-- take no variables; the account names are quoted here once.
SET @gh_check = CONCAT('''gatehouse_check''@', QUOTE(@gh_host)),
    @gh_login = CONCAT('''gatehouse_login''@', QUOTE(@gh_host)),
    @gh_logout = CONCAT('''gatehouse_logout''@', QUOTE(@gh_host)),
    @gh_sso = CONCAT('''gatehouse_sso''@', QUOTE(@gh_host));

-- Refused without a database or without the four passwords.
SET @gh_sql = IF(DATABASE() IS NULL,
    'SIGNAL SQLSTATE ''45000'' SET MESSAGE_TEXT = ''grants.sql: no database selected (mysql ... gatehouse)''',
    IF(IFNULL(@pw_check, '') = '' OR IFNULL(@pw_login, '') = '' OR IFNULL(@pw_logout, '') = ''
       OR IFNULL(@pw_sso, '') = '',
       'SIGNAL SQLSTATE ''45000'' SET MESSAGE_TEXT = ''grants.sql: set @pw_check, @pw_login, @pw_logout and @pw_sso first''',
       'DO 0'));
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;

-- Earlier versions granted SELECT on whole tables: a column grant adds to
-- such a grant and hides nothing, so it goes first.  Only where it exists
-- (REVOKE of a privilege not held is an error), so before the accounts:
-- a new account holds nothing to revoke.
SET @gh_sql = IFNULL((SELECT CONCAT('REVOKE SELECT ON sessions FROM ', GROUP_CONCAT(GRANTEE))
    FROM information_schema.TABLE_PRIVILEGES
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'sessions' AND PRIVILEGE_TYPE = 'SELECT'
      AND GRANTEE IN (@gh_check, @gh_login, @gh_logout)), 'DO 0');
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;
SET @gh_sql = IFNULL((SELECT CONCAT('REVOKE SELECT ON users FROM ', GROUP_CONCAT(GRANTEE))
    FROM information_schema.TABLE_PRIVILEGES
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'users' AND PRIVILEGE_TYPE = 'SELECT'
      AND GRANTEE IN (@gh_check, @gh_login, @gh_logout)), 'DO 0');
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;
SET @gh_sql = IFNULL((SELECT CONCAT('REVOKE SELECT ON roles FROM ', GROUP_CONCAT(GRANTEE))
    FROM information_schema.TABLE_PRIVILEGES
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'roles' AND PRIVILEGE_TYPE = 'SELECT'
      AND GRANTEE IN (@gh_check, @gh_login, @gh_logout)), 'DO 0');
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;
SET @gh_sql = IFNULL((SELECT CONCAT('REVOKE SELECT ON user_roles FROM ', GROUP_CONCAT(GRANTEE))
    FROM information_schema.TABLE_PRIVILEGES
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'user_roles' AND PRIVILEGE_TYPE = 'SELECT'
      AND GRANTEE IN (@gh_check, @gh_login, @gh_logout)), 'DO 0');
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;

-- One block per account: the account, its password (set again on every
-- run), and everything it is granted.

-- gatehouse_check: session_lookup() (common/session.c): the session (with
-- the roles written into it at login), its user's name, e-mail and status;
-- its session cache's poll (common/session_feed.c) reads cache_revocations;
-- pat_lookup() (common/pat.c) reads a personal access token;
-- jwt_access_revoked() (common/jwt_access.c) the blacklist; throttle_check()
-- and throttle_fail() (common/throttle.c) and audit_write() (common/audit.c)
-- for refused credentials.
-- (Earlier versions also granted it SELECT on roles and user_roles, which
-- it no longer reads: REVOKE them by hand where they were granted.)
SET @gh_sql = CONCAT('CREATE USER IF NOT EXISTS ', @gh_check);
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;
SET @gh_sql = CONCAT('ALTER USER ', @gh_check, ' IDENTIFIED BY ', QUOTE(@pw_check));
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;
SET @gh_sql = CONCAT('GRANT SELECT (id, user_id, created_at, last_seen_at, expires_at, ',
    'idle_timeout, mfa, revoked_at, roles), UPDATE (last_seen_at) ON sessions TO ', @gh_check);
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;
SET @gh_sql = CONCAT('GRANT SELECT (id, username, email, status) ON users TO ', @gh_check);
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;
SET @gh_sql = CONCAT('GRANT SELECT (seq, kind, ref) ON cache_revocations TO ', @gh_check);
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;
-- Personal access tokens (migration 0004): pat_lookup() (common/pat.c),
-- for a token sent as Bearer or as the password of HTTP Basic: the
-- token's row by its id (its user's columns are granted above) and
-- last_used_at, written at most once a minute.  Not its name, nor any
-- other write: revoking is gatehousectl's.
SET @gh_sql = CONCAT('GRANT SELECT (id, user_id, roles, expires_at, last_used_at, revoked_at), ',
    'UPDATE (last_used_at) ON personal_access_tokens TO ', @gh_check);
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;
-- The Authorization header (responders/check_credential.c): an access
-- token's jti looked up on the blacklist, jwt_access_revoked()
-- (common/jwt_access.c), by its key alone; a refused credential counted
-- as a password is, throttle_check() and throttle_fail()
-- (common/throttle.c), with the audit event "throttled" when it blocks
-- the client, server_throttle_fail() (common/server.c).  MariaDB checks
-- INSERT ... ON DUPLICATE KEY UPDATE for UPDATE on every column inserted,
-- the key too.
SET @gh_sql = CONCAT('GRANT SELECT (jti) ON revoked_jti TO ', @gh_check);
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;
SET @gh_sql = CONCAT('GRANT SELECT (`key`, window_start, count, blocked_until), ',
    'INSERT (`key`, window_start, count, blocked_until), ',
    'UPDATE (`key`, window_start, count, blocked_until) ON throttle TO ', @gh_check);
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;
SET @gh_sql = CONCAT('GRANT INSERT (event_type, user_id, at, ip, user_agent, result, reason, ',
    'context) ON security_log TO ', @gh_check);
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;

-- gatehouse_login: user_find(), user_find_id(), user_set_password() (a
-- rehash), user_record_login() (common/user.c), session_revoke() and
-- session_create() (common/session.c), extuser_shadow() (common/extuser.c),
-- audit_write() (common/audit.c), lockout_fail() and lockout_reset()
-- (common/lockout.c), throttle_check() and throttle_fail()
-- (common/throttle.c).  MariaDB checks INSERT ... ON DUPLICATE KEY UPDATE
-- for UPDATE on every column inserted, the key too.
SET @gh_sql = CONCAT('CREATE USER IF NOT EXISTS ', @gh_login);
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;
SET @gh_sql = CONCAT('ALTER USER ', @gh_login, ' IDENTIFIED BY ', QUOTE(@pw_login));
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;
SET @gh_sql = CONCAT('GRANT SELECT (id, username, email, password_hash, status, created_at, ',
    'last_login_at, external_id, failed_login_attempts, locked_until), ',
    'INSERT (username, email, password_hash, status, created_at, ',
    'updated_at, external_id), UPDATE (username, email, password_hash, updated_at, ',
    'last_password_change_at, last_login_at, failed_login_attempts, locked_until) ',
    'ON users TO ', @gh_login);
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;
SET @gh_sql = CONCAT('GRANT SELECT (id, name) ON roles TO ', @gh_login);
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;
SET @gh_sql = CONCAT('GRANT SELECT (user_id, role_id) ON user_roles TO ', @gh_login);
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;
SET @gh_sql = CONCAT('GRANT SELECT (`key`, window_start, count, blocked_until), ',
    'INSERT (`key`, window_start, count, blocked_until), ',
    'UPDATE (`key`, window_start, count, blocked_until) ON throttle TO ', @gh_login);
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;
SET @gh_sql = CONCAT('GRANT SELECT (id, revoked_at), INSERT (id, user_id, created_at, ',
    'last_seen_at, expires_at, idle_timeout, auth_method, mfa, ip, user_agent, remember, ',
    'roles), ',
    'UPDATE (revoked_at) ON sessions TO ', @gh_login);
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;

SET @gh_sql = CONCAT('GRANT INSERT (event_type, user_id, at, ip, user_agent, result, reason, ',
    'context) ON security_log TO ', @gh_login);
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;

-- gatehouse_logout: session_lookup() and session_revoke() (common/session.c):
-- what the check reads (not the cache's log); audit_write() (common/audit.c).
SET @gh_sql = CONCAT('CREATE USER IF NOT EXISTS ', @gh_logout);
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;
SET @gh_sql = CONCAT('ALTER USER ', @gh_logout, ' IDENTIFIED BY ', QUOTE(@pw_logout));
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;
SET @gh_sql = CONCAT('GRANT SELECT (id, user_id, created_at, last_seen_at, expires_at, ',
    'idle_timeout, mfa, revoked_at, roles), UPDATE (revoked_at, last_seen_at) ON sessions TO ',
    @gh_logout);
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;
SET @gh_sql = CONCAT('GRANT SELECT (id, username, email, status) ON users TO ', @gh_logout);
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;
SET @gh_sql = CONCAT('GRANT INSERT (event_type, user_id, at, ip, user_agent, result, reason, ',
    'context) ON security_log TO ', @gh_logout);
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;

-- gatehouse_sso (responders/sso.c): sso_user(), user_add() and
-- user_record_login() (common/user.c), session_create() with a partner's
-- roles added, session_lookup() and session_revoke() (common/session.c),
-- partner_jti_use() (common/partner.c), audit_write() (common/audit.c).
-- Its token API (responders/sso_token.c) checks passwords as the login
-- does (common/login_flow.c: the same grants on users and throttle), and
-- keeps refresh tokens: refresh_issue(), refresh_rotate() and the
-- revocations of common/refresh.c (their session's revoked_at, and the
-- blacklist revoked_jti by INSERT IGNORE ... SELECT), jwt_access_revoke()
-- (common/jwt_access.c).
SET @gh_sql = CONCAT('CREATE USER IF NOT EXISTS ', @gh_sso);
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;
SET @gh_sql = CONCAT('ALTER USER ', @gh_sso, ' IDENTIFIED BY ', QUOTE(@pw_sso));
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;
SET @gh_sql = CONCAT('GRANT SELECT (id, username, email, password_hash, status, created_at, ',
    'last_login_at, external_id, failed_login_attempts, locked_until), ',
    'INSERT (username, email, password_hash, status, created_at, updated_at, ',
    'last_password_change_at, external_id), UPDATE (username, email, password_hash, ',
    'updated_at, last_password_change_at, last_login_at, failed_login_attempts, ',
    'locked_until) ON users TO ', @gh_sso);
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;
SET @gh_sql = CONCAT('GRANT SELECT (id, name) ON roles TO ', @gh_sso);
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;
SET @gh_sql = CONCAT('GRANT SELECT (user_id, role_id) ON user_roles TO ', @gh_sso);
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;
SET @gh_sql = CONCAT('GRANT SELECT (id, user_id, created_at, last_seen_at, expires_at, ',
    'idle_timeout, mfa, revoked_at, roles), INSERT (id, user_id, created_at, ',
    'last_seen_at, expires_at, idle_timeout, auth_method, mfa, ip, user_agent, remember, ',
    'roles), UPDATE (roles, revoked_at, last_seen_at) ON sessions TO ', @gh_sso);
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;
SET @gh_sql = CONCAT('GRANT INSERT (jti, issuer, expires_at) ON sso_jti TO ', @gh_sso);
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;
SET @gh_sql = CONCAT('GRANT SELECT (`key`, window_start, count, blocked_until), ',
    'INSERT (`key`, window_start, count, blocked_until), ',
    'UPDATE (`key`, window_start, count, blocked_until) ON throttle TO ', @gh_sso);
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;
SET @gh_sql = CONCAT('GRANT SELECT (id, family_id, user_id, session_id, expires_at, ',
    'replaced_by, revoked_at, access_jti, access_expires_at), ',
    'INSERT (id, family_id, user_id, session_id, issued_at, expires_at, device_info, ',
    'access_jti, access_expires_at), UPDATE (replaced_by, revoked_at) ',
    'ON refresh_tokens TO ', @gh_sso);
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;
SET @gh_sql = CONCAT('GRANT SELECT (jti), INSERT (jti, expires_at) ON revoked_jti TO ', @gh_sso);
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;
SET @gh_sql = CONCAT('GRANT INSERT (event_type, user_id, at, ip, user_agent, result, reason, ',
    'context) ON security_log TO ', @gh_sso);
PREPARE gh_stmt FROM @gh_sql;
EXECUTE gh_stmt;

DEALLOCATE PREPARE gh_stmt;
SET @gh_sql = NULL, @gh_check = NULL, @gh_login = NULL, @gh_logout = NULL, @gh_sso = NULL;
