-- Gatehouse least-privilege accounts, PostgreSQL: one role per responder,
-- with only the privileges its queries need.  gatehousectl (init, migrate,
-- user and role commands, purge) runs under the role that owns the database
-- and its schema; the responders never do.
--
--   gatehouse_check   reads the columns of sessions and users a session
--                     lookup needs, and of personal_access_tokens a token
--                     lookup needs, and the access-token blacklist
--                     (revoked_jti.jti); writes sessions.last_seen_at and
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
--                     UPDATE username/email, and lastval() on the users id
--                     sequence); counts refused logins
--                     (users.failed_login_attempts, locked_until) and
--                     the throttle table's rows (SELECT, INSERT, UPDATE)
--   gatehouse_logout  reads what the check reads; writes sessions.revoked_at
--                     and .last_seen_at
--   gatehouse_sso     reads users' id, name, e-mail and status (not the
--                     password hash) and the roles a new session takes;
--                     creates users (auto-provisioning, and lastval() on
--                     the users id sequence; nothing else of a user
--                     changes but last_login_at) and sessions, adds a
--                     partner's mapped roles to its new session (never to
--                     user_roles), revokes the session it replaces; reads
--                     what the check reads (/sso/out); records each
--                     partner token's jti (sso_jti: INSERT only, its
--                     primary key refuses a replay; gatehousectl purge
--                     deletes the expired ones); for the token API, what
--                     the login reads and writes to check a password
--                     (password_hash included), and its refresh tokens
--                     (refresh_tokens: SELECT, INSERT, UPDATE of
--                     replaced_by and revoked_at) and the access-token
--                     blacklist (revoked_jti: SELECT jti, INSERT)
--
-- The login, the logout and the sso write the audit trail (common/audit.c): INSERT
-- into security_log, nothing else on it (no SELECT, UPDATE or DELETE: a
-- responder can add to the log but neither read, change nor erase it).
-- The id is an identity column, whose sequence the INSERT advances without
-- a grant on it.  The check writes one event only, "throttled" (a client
-- blocked for its refused credentials), with the same INSERT and nothing
-- more.
--
-- Every SELECT is granted on columns, never on a whole table: no responder
-- can read users.mfa_secret, and only the login can read password_hash.
--
-- Run it with psql as a superuser (or a role with CREATEROLE that owns the
-- tables), AFTER `gatehousectl init`, connected to the Gatehouse database,
-- with the four passwords as psql variables:
--
--   sudo -u postgres psql -d gatehouse -v ON_ERROR_STOP=1 \
--       -v pw_check="$(cat /etc/gatehouse/db-password-check)" \
--       -v pw_login="$(cat /etc/gatehouse/db-password-login)" \
--       -v pw_logout="$(cat /etc/gatehouse/db-password-logout)" \
--       -v pw_sso="$(cat /etc/gatehouse/db-password-sso)" \
--       -f grants.sql
--
-- (the passwords are then briefly visible in `ps`; on a shared machine
-- type `\set pw_check '...'` etc. and `\i grants.sql` in an interactive
-- psql instead).  Running it again sets the passwords again and adds what
-- is missing; the only privilege it removes is the table-wide SELECT on
-- these four tables that earlier versions of this file granted (the column
-- grants below replace it).  A missing variable stops it with an error
-- before anything is created.  Roles belong to the whole cluster: for
-- a second Gatehouse database run it there too (same passwords).  Allow
-- the roles in pg_hba.conf (scram-sha-256) for the hosts they come from.
--
-- The responders then get their own role in their environment, e.g. in a
-- drop-in for the systemd template unit of the four, gatehouse@.service
-- (%i: check, login, logout or sso):
--   Environment=GATEHOUSE_DATABASE_URL=postgresql://gatehouse_%i@/gatehouse?host=/run/postgresql
--   Environment=GATEHOUSE_DATABASE_PASSWORD_FILE=/etc/gatehouse/db-password-%i

\set ON_ERROR_STOP on
\set QUIET on

\if :{?pw_check}
\else
DO $$ BEGIN RAISE EXCEPTION 'grants.sql: set pw_check, pw_login, pw_logout and pw_sso (psql -v pw_check=...)'; END $$;
\endif
\if :{?pw_login}
\else
DO $$ BEGIN RAISE EXCEPTION 'grants.sql: set pw_check, pw_login, pw_logout and pw_sso (psql -v pw_login=...)'; END $$;
\endif
\if :{?pw_logout}
\else
DO $$ BEGIN RAISE EXCEPTION 'grants.sql: set pw_check, pw_login, pw_logout and pw_sso (psql -v pw_logout=...)'; END $$;
\endif
\if :{?pw_sso}
\else
DO $$ BEGIN RAISE EXCEPTION 'grants.sql: set pw_check, pw_login, pw_logout and pw_sso (psql -v pw_sso=...)'; END $$;
\endif

BEGIN;

-- One block per role: the role (made when missing), its password (set on
-- every run), the database and its schema, and everything it is granted.
-- Earlier versions granted SELECT on whole tables: a column grant adds to
-- such a grant and hides nothing, so each block revokes it before its
-- grants.  (Revoking a table's SELECT also revokes the SELECT on its
-- columns: they are granted again below, in the same transaction.)

-- gatehouse_check: session_lookup() (common/session.c): the session (with
-- the roles written into it at login), its user's name, e-mail and status;
-- pat_lookup() (common/pat.c) reads a personal access token;
-- jwt_access_revoked() (common/jwt_access.c) the blacklist; throttle_check()
-- and throttle_fail() (common/throttle.c) and audit_write() (common/audit.c)
-- for refused credentials.  Its session cache's LISTEN needs no privilege.
-- Earlier versions read roles and user_roles: revoked (a warning where not
-- held).
SELECT 'CREATE ROLE gatehouse_check LOGIN'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gatehouse_check') \gexec
ALTER ROLE gatehouse_check LOGIN PASSWORD :'pw_check';
GRANT CONNECT ON DATABASE :"DBNAME" TO gatehouse_check;
GRANT USAGE ON SCHEMA public TO gatehouse_check;
REVOKE SELECT ON sessions, users, roles, user_roles FROM gatehouse_check;
GRANT SELECT (id, user_id, created_at, last_seen_at, expires_at, idle_timeout, mfa, revoked_at,
              roles),
      UPDATE (last_seen_at)
   ON sessions TO gatehouse_check;
GRANT SELECT (id, username, email, status) ON users TO gatehouse_check;
-- Personal access tokens (migration 0004): pat_lookup() (common/pat.c),
-- for a token sent as Bearer or as the password of HTTP Basic: the
-- token's row by its id (its user's columns are granted above) and
-- last_used_at, written at most once a minute.  Not its name, nor any
-- other write: revoking is gatehousectl's.
GRANT SELECT (id, user_id, roles, expires_at, last_used_at, revoked_at),
      UPDATE (last_used_at)
   ON personal_access_tokens TO gatehouse_check;
-- The Authorization header (responders/check_credential.c): an access
-- token's jti looked up on the blacklist, jwt_access_revoked()
-- (common/jwt_access.c), by its key alone; a refused credential counted
-- as a password is, throttle_check() and throttle_fail()
-- (common/throttle.c), with the audit event "throttled" when it blocks
-- the client, server_throttle_fail() (common/server.c).
GRANT SELECT (jti) ON revoked_jti TO gatehouse_check;
GRANT SELECT (key, window_start, count, blocked_until),
      INSERT (key, window_start, count, blocked_until),
      UPDATE (window_start, count, blocked_until)
   ON throttle TO gatehouse_check;
GRANT INSERT (event_type, user_id, at, ip, user_agent, result, reason, context)
   ON security_log TO gatehouse_check;
REVOKE SELECT (id, name) ON roles FROM gatehouse_check;
REVOKE SELECT (user_id, role_id) ON user_roles FROM gatehouse_check;

-- gatehouse_login: user_find(), user_find_id(), user_set_password() (a
-- rehash), user_record_login() (common/user.c), session_revoke() and
-- session_create() (common/session.c), extuser_shadow() (common/extuser.c),
-- audit_write() (common/audit.c), lockout_fail() and lockout_reset()
-- (common/lockout.c), throttle_check() and throttle_fail()
-- (common/throttle.c).
SELECT 'CREATE ROLE gatehouse_login LOGIN'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gatehouse_login') \gexec
ALTER ROLE gatehouse_login LOGIN PASSWORD :'pw_login';
GRANT CONNECT ON DATABASE :"DBNAME" TO gatehouse_login;
GRANT USAGE ON SCHEMA public TO gatehouse_login;
REVOKE SELECT ON sessions, users, roles, user_roles FROM gatehouse_login;
GRANT SELECT (id, username, email, password_hash, status, created_at, last_login_at,
              external_id, failed_login_attempts, locked_until),
      INSERT (username, email, password_hash, status, created_at, updated_at, external_id),
      UPDATE (username, email, password_hash, updated_at, last_password_change_at, last_login_at,
              failed_login_attempts, locked_until)
   ON users TO gatehouse_login;
GRANT SELECT (key, window_start, count, blocked_until),
      INSERT (key, window_start, count, blocked_until),
      UPDATE (window_start, count, blocked_until)
   ON throttle TO gatehouse_login;
GRANT SELECT (id, name) ON roles TO gatehouse_login;
GRANT SELECT (user_id, role_id) ON user_roles TO gatehouse_login;
SELECT format('GRANT USAGE ON SEQUENCE %s TO gatehouse_login',
              pg_get_serial_sequence('users', 'id')) \gexec
GRANT SELECT (id, revoked_at),
      INSERT (id, user_id, created_at, last_seen_at, expires_at, idle_timeout, auth_method,
              mfa, ip, user_agent, remember, roles),
      UPDATE (revoked_at)
   ON sessions TO gatehouse_login;
GRANT INSERT (event_type, user_id, at, ip, user_agent, result, reason, context)
   ON security_log TO gatehouse_login;

-- gatehouse_logout: session_lookup() and session_revoke() (common/session.c):
-- what the check reads; audit_write() (common/audit.c).  Earlier versions
-- read roles and user_roles: revoked (a warning where not held).
SELECT 'CREATE ROLE gatehouse_logout LOGIN'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gatehouse_logout') \gexec
ALTER ROLE gatehouse_logout LOGIN PASSWORD :'pw_logout';
GRANT CONNECT ON DATABASE :"DBNAME" TO gatehouse_logout;
GRANT USAGE ON SCHEMA public TO gatehouse_logout;
REVOKE SELECT ON sessions, users, roles, user_roles FROM gatehouse_logout;
GRANT SELECT (id, user_id, created_at, last_seen_at, expires_at, idle_timeout, mfa, revoked_at,
              roles),
      UPDATE (revoked_at, last_seen_at)
   ON sessions TO gatehouse_logout;
GRANT SELECT (id, username, email, status) ON users TO gatehouse_logout;
REVOKE SELECT (id, name) ON roles FROM gatehouse_logout;
REVOKE SELECT (user_id, role_id) ON user_roles FROM gatehouse_logout;
GRANT INSERT (event_type, user_id, at, ip, user_agent, result, reason, context)
   ON security_log TO gatehouse_logout;

-- gatehouse_sso (responders/sso.c): sso_user(), user_add() and
-- user_record_login() (common/user.c), session_create() with a partner's
-- roles added, session_lookup() and session_revoke() (common/session.c),
-- partner_jti_use() (common/partner.c), audit_write() (common/audit.c).
-- Its token API (responders/sso_token.c) checks passwords as the login
-- does (common/login_flow.c: the same grants on users and throttle, and
-- the users id sequence for an external store's shadow rows), and keeps
-- refresh tokens: refresh_issue(), refresh_rotate() and the revocations
-- of common/refresh.c (their session's revoked_at, and the blacklist
-- revoked_jti by INSERT ... SELECT ... ON CONFLICT DO NOTHING),
-- jwt_access_revoke() (common/jwt_access.c).
SELECT 'CREATE ROLE gatehouse_sso LOGIN'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gatehouse_sso') \gexec
ALTER ROLE gatehouse_sso LOGIN PASSWORD :'pw_sso';
GRANT CONNECT ON DATABASE :"DBNAME" TO gatehouse_sso;
GRANT USAGE ON SCHEMA public TO gatehouse_sso;
GRANT SELECT (id, username, email, password_hash, status, created_at, last_login_at,
              external_id, failed_login_attempts, locked_until),
      INSERT (username, email, password_hash, status, created_at, updated_at,
              last_password_change_at, external_id),
      UPDATE (username, email, password_hash, updated_at, last_password_change_at, last_login_at,
              failed_login_attempts, locked_until)
   ON users TO gatehouse_sso;
SELECT format('GRANT USAGE ON SEQUENCE %s TO gatehouse_sso',
              pg_get_serial_sequence('users', 'id')) \gexec
GRANT SELECT (id, name) ON roles TO gatehouse_sso;
GRANT SELECT (user_id, role_id) ON user_roles TO gatehouse_sso;
GRANT SELECT (id, user_id, created_at, last_seen_at, expires_at, idle_timeout, mfa, revoked_at,
              roles),
      INSERT (id, user_id, created_at, last_seen_at, expires_at, idle_timeout, auth_method,
              mfa, ip, user_agent, remember, roles),
      UPDATE (roles, revoked_at, last_seen_at)
   ON sessions TO gatehouse_sso;
GRANT INSERT (jti, issuer, expires_at) ON sso_jti TO gatehouse_sso;
GRANT SELECT (key, window_start, count, blocked_until),
      INSERT (key, window_start, count, blocked_until),
      UPDATE (window_start, count, blocked_until)
   ON throttle TO gatehouse_sso;
GRANT SELECT (id, family_id, user_id, session_id, expires_at, replaced_by, revoked_at, access_jti,
              access_expires_at),
      INSERT (id, family_id, user_id, session_id, issued_at, expires_at, device_info, access_jti,
              access_expires_at),
      UPDATE (replaced_by, revoked_at)
   ON refresh_tokens TO gatehouse_sso;
GRANT SELECT (jti), INSERT (jti, expires_at) ON revoked_jti TO gatehouse_sso;
GRANT INSERT (event_type, user_id, at, ip, user_agent, result, reason, context)
   ON security_log TO gatehouse_sso;

COMMIT;
