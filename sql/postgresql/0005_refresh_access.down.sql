DROP INDEX refresh_tokens_session;
ALTER TABLE refresh_tokens DROP COLUMN access_expires_at;
ALTER TABLE refresh_tokens DROP COLUMN access_jti;
