DROP INDEX refresh_tokens_session;
DROP INDEX refresh_tokens_user;
ALTER TABLE refresh_tokens DROP COLUMN access_expires_at;
ALTER TABLE refresh_tokens DROP COLUMN access_jti;
