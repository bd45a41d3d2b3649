DROP TRIGGER user_roles_cache ON user_roles;
DROP TRIGGER users_cache ON users;
DROP TRIGGER sessions_cache ON sessions;
DROP FUNCTION gatehouse_cache_user();
DROP FUNCTION gatehouse_cache_session();
ALTER TABLE sessions DROP COLUMN roles;
