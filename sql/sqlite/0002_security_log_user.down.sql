DROP INDEX security_log_user;
