-- Reverts 0001_init (MariaDB/MySQL).  DROP TABLE commits at once; IF EXISTS
-- lets this also clean up after a half-applied 0001_init.up.sql.
DROP TABLE IF EXISTS throttle;
DROP TABLE IF EXISTS security_log;
DROP TABLE IF EXISTS recovery_codes;
DROP TABLE IF EXISTS verification_tokens;
DROP TABLE IF EXISTS sso_jti;
DROP TABLE IF EXISTS revoked_jti;
DROP TABLE IF EXISTS refresh_tokens;
DROP TABLE IF EXISTS sessions;
DROP TABLE IF EXISTS user_roles;
DROP TABLE IF EXISTS roles;
DROP TABLE IF EXISTS users;
