-- Personal access tokens (common/pat.c), for scripts, monitors and
-- WebDAV-style clients that cannot use the login page: the same table as
-- sql/sqlite/0004_personal_access_tokens.up.sql.  A token is shown once,
-- when `gatehousectl token add` makes it; id is the hex SHA-256 of the
-- token (the token itself is never stored), and its first 12 digits are
-- the handle that `token list` shows and `token revoke` takes.  name is
-- unique per user; roles are comma-separated ('' none), each one the user
-- holds (a change of the user's roles narrows them: common/account.c).
-- Times are Unix seconds; expires_at NULL: never.  The unique key on
-- (user_id, name) is also the index by user.
CREATE TABLE personal_access_tokens (
    id CHAR(64) PRIMARY KEY,        -- hex SHA-256 of the token
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name VARCHAR(64) NOT NULL,
    roles TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    last_used_at BIGINT,
    revoked_at BIGINT,
    CONSTRAINT personal_access_tokens_user UNIQUE (user_id, name)
);

-- The check's session cache (0003): a token revoked or changed in what it
-- grants, or deleted while it could still be used, is notified as
-- 'p:<token id>' on the channel gatehouse_cache, so that a check that
-- caches token lookups drops it.  Writing last_used_at notifies nothing.
-- A change of the token's user is notified by 0003's triggers ('u:').
CREATE FUNCTION gatehouse_cache_token() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' OR (OLD.revoked_at IS NULL
            AND (OLD.expires_at IS NULL OR OLD.expires_at > extract(epoch FROM now()))) THEN
        PERFORM pg_notify('gatehouse_cache', 'p:' || OLD.id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER personal_access_tokens_cache AFTER UPDATE OF revoked_at, expires_at, user_id,
    roles OR DELETE ON personal_access_tokens FOR EACH ROW
    EXECUTE FUNCTION gatehouse_cache_token();
