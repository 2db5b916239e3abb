-- The authorization code grant (RFC 6749 §4.1, with PKCE, RFC 7636) and
-- refresh tokens (§6), with Auth0's rotation. Codes and refresh tokens are
-- stored only as their SHA-256: the database never holds a usable one.

-- A code, redeemed once by one conditional statement over every column it
-- is bound to (tenant/src/sign_in/code.rs). `family_id` is the refresh
-- token family its redemption started, revoked if the code comes again.
CREATE TABLE authorization_codes (
    code_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    family_id TEXT,
    doc TEXT NOT NULL
);
CREATE INDEX authorization_codes_by_expiry ON authorization_codes (expires_at);

-- A family: every refresh token descended from one sign-in. Revoking it
-- (reuse detected, the user blocked or deleted, `POST /oauth/revoke`)
-- revokes them all. `expires_at` is the absolute lifetime.
CREATE TABLE refresh_token_families (
    family_id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER,
    doc TEXT NOT NULL
);
CREATE INDEX refresh_token_families_by_user ON refresh_token_families (user_id);
CREATE INDEX refresh_token_families_by_expiry ON refresh_token_families (expires_at);

-- Each refresh token of a family: `expires_at` is its idle lifetime;
-- `rotated_at` is set when it was exchanged for the next one, whose hash
-- is `successor_hash` (once, by a conditional update that the successor's
-- insert depends on), after which presenting it again outside the reuse
-- interval revokes the family.
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family_id TEXT NOT NULL REFERENCES refresh_token_families (family_id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    rotated_at INTEGER,
    successor_hash TEXT
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);
