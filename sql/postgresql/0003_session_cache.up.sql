-- The check's session cache (common/session_cache.c, session_feed.c): the
-- database tells every check process what changed, by triggers, so that no
-- path that ends a session or changes what a session grants can forget to.
-- A notification on the channel gatehouse_cache carries 's:<session id>'
-- or 'u:<user id>'; it is delivered only when its transaction commits.
--
-- The roles of a session are written into its row at login (a change of a
-- user's roles ends the user's sessions), so the check reads one row
-- instead of aggregating user_roles on every request.  Sessions still live
-- get the roles their user has now.
ALTER TABLE sessions ADD COLUMN roles TEXT NOT NULL DEFAULT '';
UPDATE sessions s SET roles = COALESCE((SELECT string_agg(r.name, ',' ORDER BY r.name)
    FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = s.user_id), '')
 WHERE revoked_at IS NULL;

-- A session: revoked or changed in what it grants, or deleted while it was
-- still valid (deleting a session already expired or revoked, as purge
-- does, tells nothing: no cache can hold it).
CREATE FUNCTION gatehouse_cache_session() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' OR (OLD.revoked_at IS NULL
            AND OLD.expires_at > extract(epoch FROM now())
            AND OLD.last_seen_at + OLD.idle_timeout > extract(epoch FROM now())) THEN
        PERFORM pg_notify('gatehouse_cache', 's:' || OLD.id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER sessions_cache AFTER UPDATE OF revoked_at, expires_at, idle_timeout, user_id,
    roles, mfa OR DELETE ON sessions FOR EACH ROW EXECUTE FUNCTION gatehouse_cache_session();

-- A user: renamed, disabled, locked, deleted, a new password, other roles.
CREATE FUNCTION gatehouse_cache_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'users' THEN
        PERFORM pg_notify('gatehouse_cache', 'u:' || OLD.id);
    ELSE
        IF TG_OP <> 'DELETE' THEN
            PERFORM pg_notify('gatehouse_cache', 'u:' || NEW.user_id);
        END IF;
        IF TG_OP <> 'INSERT' THEN
            PERFORM pg_notify('gatehouse_cache', 'u:' || OLD.user_id);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER users_cache AFTER UPDATE OF username, email, password_hash, status OR DELETE
    ON users FOR EACH ROW EXECUTE FUNCTION gatehouse_cache_user();
CREATE TRIGGER user_roles_cache AFTER INSERT OR UPDATE OR DELETE
    ON user_roles FOR EACH ROW EXECUTE FUNCTION gatehouse_cache_user();
