-- Organizations (Auth0's Organizations): the customers a tenant serves,
-- their members, and the machine-to-machine grants that may act for them.
-- Like every record, a row holds its document and version beside the
-- columns it is found and constrained by (see 0001).

-- `name` is unique; names never begin with `org_`, the prefix of every
-- id, so a request's `organization` (an id or a name) is never ambiguous.
CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    doc TEXT NOT NULL,
    version INTEGER NOT NULL
);

-- Which client grants may act for an organization, when the grant does
-- not allow any organization. Deleted explicitly (with the read model's
-- queue entries) before the organization or the grant they link.
CREATE TABLE organization_client_grants (
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    grant_id TEXT NOT NULL REFERENCES client_grants (id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (organization_id, grant_id)
) WITHOUT ROWID;
CREATE INDEX organization_client_grants_by_grant ON organization_client_grants (grant_id);

-- Who may sign in to an organization. Read by `/authorize` when a request
-- names an organization; never by the token endpoint.
CREATE TABLE organization_members (
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    user_id TEXT NOT NULL REFERENCES users (user_id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (organization_id, user_id)
) WITHOUT ROWID;
CREATE INDEX organization_members_by_user ON organization_members (user_id);

-- `GET /api/v2/client-grants?allow_any_organization=`: grants in id order,
-- as its checkpoints read them.
CREATE INDEX client_grants_by_any_organization
    ON client_grants (coalesce(json_extract(doc, '$.allow_any_organization'), 0), id);
