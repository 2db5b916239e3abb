-- Actions (Auth0's Actions): the tenant owner's JavaScript, run when a
-- token is issued. Like every record, a row holds its document and
-- version beside the columns it is found and constrained by (see 0001).

-- The draft of each action: its code, runtime, trigger and sealed secrets
-- (AES-256-GCM under the deployment's ACTIONS_SECRETS_KEY, never here).
CREATE TABLE actions (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    trigger_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    doc TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX actions_by_trigger ON actions (trigger_id, name);

-- Deployed versions: numbered per action, never changed.
CREATE TABLE action_versions (
    id TEXT PRIMARY KEY,
    action_id TEXT NOT NULL REFERENCES actions (id),
    number INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    doc TEXT NOT NULL,
    UNIQUE (action_id, number)
);

-- Which actions a trigger runs, in order; each runs its action's deployed
-- version. Replaced as a whole by PATCH .../bindings.
CREATE TABLE action_bindings (
    id TEXT PRIMARY KEY,
    trigger_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    action_id TEXT NOT NULL REFERENCES actions (id),
    display_name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (trigger_id, position)
);
CREATE INDEX action_bindings_by_action ON action_bindings (action_id);

-- What each run did, kept 10 days (the scheduled task).
CREATE TABLE action_executions (
    id TEXT PRIMARY KEY,
    trigger_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX action_executions_by_time ON action_executions (created_at);
