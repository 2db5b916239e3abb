-- Rebuilds the edge's read model (Workers KV) from the system of record:
-- enqueues every entry for the scheduled task to project at once
-- (changed_at 0 has long settled). Run by `bash scripts/read-model.sh
-- rebuild`, which also enqueues the keys KV holds that no row backs, so the
-- task deletes them. Also run by the host tests (tenant/src/tests).
INSERT INTO read_model_changes (key, changed_at)
    SELECT 'client/' || client_id, 0 FROM clients WHERE true
    ON CONFLICT (key) DO UPDATE SET changed_at = 0, generation = generation + 1;
INSERT INTO read_model_changes (key, changed_at)
    SELECT 'client_grant/' || client_id || '/' || audience, 0 FROM client_grants WHERE true
    ON CONFLICT (key) DO UPDATE SET changed_at = 0, generation = generation + 1;
INSERT INTO read_model_changes (key, changed_at)
    SELECT 'resource_server/' || identifier, 0 FROM resource_servers WHERE true
    ON CONFLICT (key) DO UPDATE SET changed_at = 0, generation = generation + 1;
INSERT INTO read_model_changes (key, changed_at)
    SELECT 'signing_key/' || kid, 0 FROM signing_keys WHERE true
    ON CONFLICT (key) DO UPDATE SET changed_at = 0, generation = generation + 1;
INSERT INTO read_model_changes (key, changed_at)
    SELECT 'organization/' || id, 0 FROM organizations WHERE true
    ON CONFLICT (key) DO UPDATE SET changed_at = 0, generation = generation + 1;
INSERT INTO read_model_changes (key, changed_at)
    SELECT 'organization_name/' || name, 0 FROM organizations WHERE true
    ON CONFLICT (key) DO UPDATE SET changed_at = 0, generation = generation + 1;
INSERT INTO read_model_changes (key, changed_at)
    VALUES ('tenant_settings', 0)
    ON CONFLICT (key) DO UPDATE SET changed_at = 0, generation = generation + 1;
INSERT INTO read_model_changes (key, changed_at)
    VALUES ('trigger/credentials-exchange', 0), ('trigger/post-login', 0)
    ON CONFLICT (key) DO UPDATE SET changed_at = 0, generation = generation + 1;
