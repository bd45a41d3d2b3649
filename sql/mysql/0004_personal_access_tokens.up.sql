-- Personal access tokens (common/pat.c), for scripts, monitors and
-- WebDAV-style clients that cannot use the login page: the same table as
-- sql/sqlite/0004_personal_access_tokens.up.sql.  A token is shown once,
-- when `gatehousectl token add` makes it; id is the hex SHA-256 of the
-- token (the token itself is never stored), and its first 12 digits are
-- the handle that `token list` shows and `token revoke` takes.  name is
-- unique per user (exactly: utf8mb4_bin); roles are comma-separated ('' none),
-- each one the user holds (a change of the user's roles narrows them:
-- common/account.c).  Times are Unix seconds; expires_at NULL: never.  The
-- unique key on (user_id, name) is also the index by user (and the one the
-- foreign key needs).
--
-- Each statement commits at once (MySQL DDL is not transactional): if this
-- script fails half-way, run 0004_personal_access_tokens.down.sql by hand
-- (drop what it made), fix the cause, and migrate again.
CREATE TABLE personal_access_tokens (
    id CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    user_id BIGINT NOT NULL,
    name VARCHAR(64) NOT NULL,
    roles TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    last_used_at BIGINT,
    revoked_at BIGINT,
    UNIQUE KEY personal_access_tokens_user (user_id, name),
    CONSTRAINT personal_access_tokens_user FOREIGN KEY (user_id) REFERENCES users (id)
        ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The check's session cache (0003): a token revoked or changed in what it
-- grants, or deleted while it could still be used, is logged in
-- cache_revocations as kind 'p' and the token's id, so that a check that
-- caches token lookups drops it.  Writing last_used_at logs nothing.  A
-- change of the token's user is logged by 0003's triggers ('u'); a user
-- deleted takes its tokens by a cascade, which fires no trigger here.
CREATE TRIGGER personal_access_tokens_cache_update AFTER UPDATE ON personal_access_tokens
    FOR EACH ROW
    INSERT INTO cache_revocations (kind, ref, at)
    SELECT 'p', OLD.id, UNIX_TIMESTAMP() FROM DUAL
     WHERE NOT (NEW.revoked_at <=> OLD.revoked_at AND NEW.expires_at <=> OLD.expires_at
            AND NEW.user_id <=> OLD.user_id AND NEW.roles <=> OLD.roles);
CREATE TRIGGER personal_access_tokens_cache_delete AFTER DELETE ON personal_access_tokens
    FOR EACH ROW
    INSERT INTO cache_revocations (kind, ref, at)
    SELECT 'p', OLD.id, UNIX_TIMESTAMP() FROM DUAL
     WHERE OLD.revoked_at IS NULL
       AND (OLD.expires_at IS NULL OR OLD.expires_at > UNIX_TIMESTAMP());
