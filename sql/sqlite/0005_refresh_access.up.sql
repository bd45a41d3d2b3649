-- The token API (gatehouse-sso <prefix>/token, common/refresh.c): each
-- refresh token row records the access token issued with it, so that
-- revoking a family (a refresh token used twice, RFC 7009 revocation, a
-- user's sessions ended) also puts that family's access tokens still
-- alive on the blacklist revoked_jti.  Times are Unix seconds.
ALTER TABLE refresh_tokens ADD COLUMN access_jti TEXT;
ALTER TABLE refresh_tokens ADD COLUMN access_expires_at INTEGER;
-- A user's or a session's tokens are found by index (the ends of sessions).
CREATE INDEX refresh_tokens_user ON refresh_tokens(user_id);
CREATE INDEX refresh_tokens_session ON refresh_tokens(session_id);
