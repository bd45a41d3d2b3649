-- The audit trail listed by user (gatehousectl audit list --user): an index
-- instead of a scan of the whole retention period.
CREATE INDEX security_log_user ON security_log(user_id, at);
