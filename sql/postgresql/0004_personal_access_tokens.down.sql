DROP TRIGGER personal_access_tokens_cache ON personal_access_tokens;
DROP FUNCTION gatehouse_cache_token();
DROP TABLE personal_access_tokens;
