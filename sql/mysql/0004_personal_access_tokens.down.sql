-- Reverts 0004_personal_access_tokens (MariaDB/MySQL).  Each statement
-- commits at once; IF EXISTS lets this also clean up after a half-applied
-- up script.
DROP TRIGGER IF EXISTS personal_access_tokens_cache_delete;
DROP TRIGGER IF EXISTS personal_access_tokens_cache_update;
DROP TABLE IF EXISTS personal_access_tokens;
