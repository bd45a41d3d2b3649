-- Personal access tokens (common/pat.c), for scripts, monitors and
-- WebDAV-style clients that cannot use the login page.  A token is shown
-- once, when `gatehousectl token add` makes it; id is the hex SHA-256 of
-- the token (the token itself is never stored), and its first 12 digits
-- are the handle that `token list` shows and `token revoke` takes.  name
-- is unique per user; roles are comma-separated ('' none), each one the
-- user holds (a change of the user's roles narrows them: common/account.c).
-- Times are Unix seconds; expires_at NULL: never.  The unique key on
-- (user_id, name) is also the index by user.  SQLite has no session cache
-- (the database is in the check's own process): nothing else here.
CREATE TABLE personal_access_tokens (
    id TEXT PRIMARY KEY,            -- hex SHA-256 of the token
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    roles TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    last_used_at INTEGER,
    revoked_at INTEGER
) WITHOUT ROWID;
CREATE UNIQUE INDEX personal_access_tokens_user ON personal_access_tokens(user_id, name);
