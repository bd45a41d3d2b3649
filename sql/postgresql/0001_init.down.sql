-- Reverts 0001_init (PostgreSQL), in one transaction.
DROP TABLE throttle;
DROP TABLE security_log;
DROP TABLE recovery_codes;
DROP TABLE verification_tokens;
DROP TABLE sso_jti;
DROP TABLE revoked_jti;
DROP TABLE refresh_tokens;
DROP TABLE sessions;
DROP TABLE user_roles;
DROP TABLE roles;
DROP TABLE users;
DROP COLLATION gh_nocase;
