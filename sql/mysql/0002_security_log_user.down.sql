DROP INDEX security_log_user ON security_log;
