-- The check's session cache (common/session_cache.c, session_feed.c): the
-- database tells every check process what changed, by triggers, so that no
-- path that ends a session or changes what a session grants can forget to.
-- MariaDB has no notifications: the triggers append to cache_revocations
-- ('s' and a session id, or 'u' and a user id), which each check process
-- polls every [check] cache_poll_interval.  seq comes from AUTO_INCREMENT:
-- transactions may commit out of seq order, so the poller keeps reading
-- from below any seq it has not seen yet (session_feed.c).  Rows are purged
-- an hour after they were written (gatehousectl session purge).  Foreign
-- key cascades fire no triggers in MariaDB: deleting a user is caught on
-- users itself.
--
-- The roles of a session are written into its row at login (a change of a
-- user's roles ends the user's sessions), so the check reads one row
-- instead of aggregating user_roles on every request.  Sessions still live
-- get the roles their user has now.
ALTER TABLE sessions ADD COLUMN roles TEXT NOT NULL DEFAULT '';
UPDATE sessions s SET roles = COALESCE((SELECT GROUP_CONCAT(r.name ORDER BY r.name SEPARATOR ',')
    FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = s.user_id), '')
 WHERE revoked_at IS NULL;

CREATE TABLE cache_revocations (
    seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    kind CHAR(1) CHARACTER SET ascii NOT NULL, -- 's': a session id, 'u': a user id
    ref VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    at BIGINT NOT NULL,
    KEY cache_revocations_at (at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A session: revoked or changed in what it grants, or deleted while it was
-- still valid (deleting a session already expired or revoked, as purge
-- does, tells nothing: no cache can hold it).
CREATE TRIGGER sessions_cache_update AFTER UPDATE ON sessions FOR EACH ROW
    INSERT INTO cache_revocations (kind, ref, at)
    SELECT 's', OLD.id, UNIX_TIMESTAMP() FROM DUAL
     WHERE NOT (NEW.revoked_at <=> OLD.revoked_at AND NEW.expires_at <=> OLD.expires_at
            AND NEW.idle_timeout <=> OLD.idle_timeout AND NEW.user_id <=> OLD.user_id
            AND NEW.roles <=> OLD.roles AND NEW.mfa <=> OLD.mfa);
CREATE TRIGGER sessions_cache_delete AFTER DELETE ON sessions FOR EACH ROW
    INSERT INTO cache_revocations (kind, ref, at)
    SELECT 's', OLD.id, UNIX_TIMESTAMP() FROM DUAL
     WHERE OLD.revoked_at IS NULL AND OLD.expires_at > UNIX_TIMESTAMP()
       AND OLD.last_seen_at + OLD.idle_timeout > UNIX_TIMESTAMP();

-- A user: renamed, disabled, locked, deleted, a new password, other roles.
CREATE TRIGGER users_cache_update AFTER UPDATE ON users FOR EACH ROW
    INSERT INTO cache_revocations (kind, ref, at)
    SELECT 'u', OLD.id, UNIX_TIMESTAMP() FROM DUAL
     WHERE NOT (NEW.username <=> OLD.username AND NEW.email <=> OLD.email
            AND NEW.password_hash <=> OLD.password_hash AND NEW.status <=> OLD.status);
CREATE TRIGGER users_cache_delete AFTER DELETE ON users FOR EACH ROW
    INSERT INTO cache_revocations (kind, ref, at) VALUES ('u', OLD.id, UNIX_TIMESTAMP());
CREATE TRIGGER user_roles_cache_insert AFTER INSERT ON user_roles FOR EACH ROW
    INSERT INTO cache_revocations (kind, ref, at) VALUES ('u', NEW.user_id, UNIX_TIMESTAMP());
CREATE TRIGGER user_roles_cache_delete AFTER DELETE ON user_roles FOR EACH ROW
    INSERT INTO cache_revocations (kind, ref, at) VALUES ('u', OLD.user_id, UNIX_TIMESTAMP());
CREATE TRIGGER user_roles_cache_update AFTER UPDATE ON user_roles FOR EACH ROW
    INSERT INTO cache_revocations (kind, ref, at)
    VALUES ('u', OLD.user_id, UNIX_TIMESTAMP()), ('u', NEW.user_id, UNIX_TIMESTAMP());
