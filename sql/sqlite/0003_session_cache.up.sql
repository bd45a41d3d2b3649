-- The roles of a session are written into its row at login (a change of a
-- user's roles ends the user's sessions), so the check reads one row
-- instead of aggregating user_roles on every request.  Sessions still live
-- get the roles their user has now.  SQLite has no session cache (the
-- database is in the check's own process): nothing else here.
ALTER TABLE sessions ADD COLUMN roles TEXT NOT NULL DEFAULT '';
UPDATE sessions SET roles = COALESCE((SELECT group_concat(name, ',') FROM
    (SELECT r.name AS name FROM user_roles ur JOIN roles r ON r.id = ur.role_id
     WHERE ur.user_id = sessions.user_id ORDER BY r.name)), '')
 WHERE revoked_at IS NULL;
