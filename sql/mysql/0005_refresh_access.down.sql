DROP INDEX refresh_tokens_session ON refresh_tokens;
ALTER TABLE refresh_tokens DROP COLUMN access_expires_at;
ALTER TABLE refresh_tokens DROP COLUMN access_jti;
