-- The tenant's system of record (D1). Applied by `wrangler d1 migrations
-- apply DB`, by scripts/dev.sh and the tests on their fresh state, and by
-- the host tests on SQLite (tenant/src/seams/sqlite.rs).
--
-- A record is a JSON document (`doc`: the serialization the edge's read
-- model in KV holds, and the KV-only versions stored) beside the columns it
-- is found, ordered and constrained by. `version` moves on with every
-- change: an update names the version it read, so nothing ever writes back
-- a stale copy (see tenant/src/records). Times are seconds since the epoch.

-- One row, always there: `{}` reads as the defaults.
CREATE TABLE tenant_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    doc TEXT NOT NULL,
    version INTEGER NOT NULL
);
INSERT INTO tenant_settings (id, doc, version) VALUES (1, '{}', 0);

CREATE TABLE clients (
    client_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    app_type TEXT,
    is_first_party INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    doc TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX clients_by_creation ON clients (created_at, client_id);

CREATE TABLE resource_servers (
    id TEXT PRIMARY KEY,
    identifier TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    doc TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX resource_servers_by_creation ON resource_servers (created_at, id);

-- One grant per client and audience. The audience may be the Management
-- API, which is not stored, so it references no table.
CREATE TABLE client_grants (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients (client_id),
    audience TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    doc TEXT NOT NULL,
    version INTEGER NOT NULL,
    UNIQUE (client_id, audience)
);
CREATE INDEX client_grants_by_audience ON client_grants (audience, client_id);
CREATE INDEX client_grants_by_creation ON client_grants (created_at, id);

-- People of the database connection. `email` is normalized (trimmed,
-- lower-case) and unique: two sign-ups with one address cannot both
-- commit. `logins_count` and `last_login` are columns only, counted by one
-- statement per sign-in. `terms` (a JSON array) are the words a search
-- finds the user by, kept in `user_terms` by the triggers below, so they
-- change exactly when a user's row does.
CREATE TABLE users (
    user_id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL COLLATE NOCASE,
    nickname TEXT NOT NULL COLLATE NOCASE,
    created_at INTEGER NOT NULL,
    logins_count INTEGER NOT NULL DEFAULT 0,
    last_login INTEGER,
    terms TEXT NOT NULL DEFAULT '[]',
    doc TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX users_by_name ON users (name COLLATE NOCASE, user_id);
CREATE INDEX users_by_nickname ON users (nickname COLLATE NOCASE, user_id);
CREATE INDEX users_by_creation ON users (created_at, user_id);

-- The search index: one row per word of a user (see `terms`), looked up by
-- prefix on the primary key.
CREATE TABLE user_terms (
    term TEXT NOT NULL,
    user_id TEXT NOT NULL,
    PRIMARY KEY (term, user_id)
) WITHOUT ROWID;
CREATE INDEX user_terms_by_user ON user_terms (user_id);

CREATE TRIGGER users_terms_on_insert AFTER INSERT ON users BEGIN
    INSERT OR IGNORE INTO user_terms (term, user_id)
        SELECT value, NEW.user_id FROM json_each(NEW.terms);
END;

CREATE TRIGGER users_terms_on_update AFTER UPDATE OF terms ON users BEGIN
    DELETE FROM user_terms WHERE user_id = OLD.user_id;
    INSERT OR IGNORE INTO user_terms (term, user_id)
        SELECT value, NEW.user_id FROM json_each(NEW.terms);
END;

CREATE TRIGGER users_terms_on_delete AFTER DELETE ON users BEGIN
    DELETE FROM user_terms WHERE user_id = OLD.user_id;
END;

-- Sign-in sessions, by the SHA-256 of the cookie's id: the table never
-- holds a usable cookie.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    issuer TEXT NOT NULL,
    auth_time INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    epoch INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- What a person allowed a client: one row per audience and scope, the
-- empty scope recording the audience itself. Granting more is an insert,
-- never a rewrite of what was granted before.
CREATE TABLE consents (
    user_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    audience TEXT NOT NULL,
    scope TEXT NOT NULL,
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, client_id, audience, scope)
);
CREATE INDEX consents_by_client ON consents (client_id);

-- The audit log. `log_id` is `{13-digit milliseconds}{13 random}`, so it
-- orders events by time: checkpoints (`from`) and date ranges are ranges
-- of the primary key, at any depth. Kept 30 days (the scheduled task).
CREATE TABLE logs (
    log_id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    user_id TEXT,
    client_id TEXT,
    doc TEXT NOT NULL
);
CREATE INDEX logs_by_type ON logs (type, log_id);
CREATE INDEX logs_by_user ON logs (user_id, log_id);
CREATE INDEX logs_by_client ON logs (client_id, log_id);

-- Signing keys: one row per key, never changed.
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    doc TEXT NOT NULL
);

-- The KV keys whose projection a committed change touched, written in the
-- change's own batch. The request projects them at once; the scheduled
-- task projects again every entry older than the settling time and then
-- removes it, unless it changed again since (`generation`).
CREATE TABLE read_model_changes (
    key TEXT PRIMARY KEY,
    changed_at INTEGER NOT NULL,
    generation INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX read_model_changes_by_time ON read_model_changes (changed_at);
