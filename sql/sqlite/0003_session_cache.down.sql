ALTER TABLE sessions DROP COLUMN roles;
