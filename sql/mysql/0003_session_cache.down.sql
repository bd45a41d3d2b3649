DROP TRIGGER user_roles_cache_update;
DROP TRIGGER user_roles_cache_delete;
DROP TRIGGER user_roles_cache_insert;
DROP TRIGGER users_cache_delete;
DROP TRIGGER users_cache_update;
DROP TRIGGER sessions_cache_delete;
DROP TRIGGER sessions_cache_update;
DROP TABLE cache_revocations;
ALTER TABLE sessions DROP COLUMN roles;
