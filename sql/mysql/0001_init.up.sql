-- Gatehouse schema, MariaDB/MySQL dialect: the same tables, columns,
-- indexes and unique keys as sql/sqlite/0001_init.up.sql.  Times are Unix
-- seconds (BIGINT); flags are TINYINT 0/1 (what BOOLEAN means here).  Text
-- is utf8mb4; keys compare exactly (utf8mb4_bin), except e-mail addresses,
-- which compare ignoring case (utf8mb4_unicode_ci; it also ignores accents,
-- so unique e-mail addresses are a little stricter than on SQLite).  Both
-- collations ignore trailing spaces, which names and addresses cannot hold.
-- SHA-256 ids are 64 hex digits (CHAR(64) ASCII).
--
-- "key" is a reserved word here: Gatehouse's queries write it "key" (their
-- session runs with ANSI_QUOTES, and SQLite and PostgreSQL read it the same
-- way); this file uses `key`, so that it also runs in the mysql client.
--
-- Each CREATE TABLE commits at once (MySQL DDL is not transactional): if
-- this script fails half-way, the tables made before the failure stay and
-- the migration is not recorded.  Run 0001_init.down.sql by hand (it drops
-- only the tables that exist), fix the cause, and migrate again.
CREATE TABLE users (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    username VARCHAR(255) COLLATE utf8mb4_bin NOT NULL,
    email VARCHAR(255) COLLATE utf8mb4_unicode_ci,
    password_hash VARCHAR(255) COLLATE utf8mb4_bin,
    status VARCHAR(16) COLLATE utf8mb4_bin NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'inactive', 'locked', 'deleted')),
    email_verified TINYINT NOT NULL DEFAULT 0,
    failed_login_attempts INT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    last_login_at BIGINT,
    last_password_change_at BIGINT,
    mfa_enabled TINYINT NOT NULL DEFAULT 0,
    mfa_secret TEXT COLLATE utf8mb4_bin,
    mfa_last_step BIGINT,
    consent_at BIGINT,
    consent_version VARCHAR(255) COLLATE utf8mb4_bin,
    external_id VARCHAR(255) COLLATE utf8mb4_bin,
    metadata JSON,
    UNIQUE KEY users_username (username),
    UNIQUE KEY users_email (email),
    UNIQUE KEY users_external_id (external_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE roles (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    description VARCHAR(1024) NOT NULL DEFAULT '',
    UNIQUE KEY roles_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE user_roles (
    user_id BIGINT NOT NULL,
    role_id BIGINT NOT NULL,
    PRIMARY KEY (user_id, role_id),
    KEY user_roles_role (role_id),
    CONSTRAINT user_roles_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT user_roles_role FOREIGN KEY (role_id) REFERENCES roles (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE sessions (
    id CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    user_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    idle_timeout BIGINT NOT NULL,
    auth_method VARCHAR(16) NOT NULL DEFAULT 'form',
    mfa TINYINT NOT NULL DEFAULT 0,
    ip VARCHAR(64),
    user_agent TEXT,
    remember TINYINT NOT NULL DEFAULT 0,
    revoked_at BIGINT,
    KEY sessions_user (user_id),
    KEY sessions_expires (expires_at),
    CONSTRAINT sessions_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE refresh_tokens (
    id CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    family_id CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    user_id BIGINT NOT NULL,
    session_id CHAR(64) CHARACTER SET ascii COLLATE ascii_bin,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    replaced_by CHAR(64) CHARACTER SET ascii COLLATE ascii_bin,
    revoked_at BIGINT,
    device_info TEXT,
    KEY refresh_tokens_family (family_id),
    KEY refresh_tokens_user (user_id),
    CONSTRAINT refresh_tokens_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE revoked_jti (
    jti VARCHAR(255) NOT NULL PRIMARY KEY,
    expires_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE sso_jti (
    jti VARCHAR(255) NOT NULL PRIMARY KEY,
    issuer VARCHAR(255) NOT NULL,
    expires_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE verification_tokens (
    id CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    user_id BIGINT NOT NULL,
    purpose VARCHAR(32) NOT NULL CHECK (purpose IN ('email_verification', 'password_reset')),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    KEY verification_tokens_user (user_id),
    CONSTRAINT verification_tokens_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE recovery_codes (
    user_id BIGINT NOT NULL,
    code_hash VARCHAR(255) NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (user_id, code_hash),
    CONSTRAINT recovery_codes_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE security_log (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    event_type VARCHAR(64) NOT NULL,
    user_id BIGINT,
    at BIGINT NOT NULL,
    ip VARCHAR(64),
    user_agent TEXT,
    result VARCHAR(32) NOT NULL,
    reason TEXT,
    context JSON,
    KEY security_log_at (at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE throttle (
    `key` VARCHAR(255) NOT NULL PRIMARY KEY,
    window_start BIGINT NOT NULL,
    count BIGINT NOT NULL DEFAULT 0,
    blocked_until BIGINT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT INTO roles (name, description) VALUES ('admin', 'Gatehouse administrators');
