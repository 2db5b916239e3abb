//! Which custom claims an action may put in a token, as Auth0 decides it
//! (its "create custom claims" rules): a claim the protocol or the tenant
//! owns is dropped silently, the transaction still succeeding; so is one
//! in a namespace Auth0 reserves, and a claim without a namespace in a
//! token for the tenant's own Management API.

/// Claims no action may set (Auth0's restricted claims, and those every
/// token of this tenant carries).
pub const RESTRICTED: &[&str] = &[
    "acr",
    "act",
    "active",
    "amr",
    "at_hash",
    "aud",
    "auth_time",
    "authorization_details",
    "azp",
    "c_hash",
    "client_id",
    "cnf",
    "cty",
    "dest",
    "entitlements",
    "events",
    "exp",
    "groups",
    "gty",
    "htm",
    "htu",
    "iat",
    "internalService",
    "iss",
    "jti",
    "jwk",
    "kid",
    "may_act",
    "nbf",
    "nonce",
    "org_id",
    "org_name",
    "permissions",
    "roles",
    "scope",
    "sid",
    "sub",
    "typ",
    "uuid",
    "x5t#S256",
];

/// Hosts whose namespaces Auth0 keeps for itself.
const RESERVED_HOSTS: &[&str] = &["auth0.com", "webtask.io", "webtask.run"];

/// Where a claim would go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// An access token for one of the tenant's APIs.
    Access,
    /// An access token for the tenant's own Management API.
    ManagementAccess,
    Id,
}

/// Whether a claim is namespaced: a URL (`https://example.com/roles`) or
/// a URN.
fn namespace_host(name: &str) -> Option<&str> {
    let rest = name
        .strip_prefix("https://")
        .or_else(|| name.strip_prefix("http://"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    Some(host.rsplit_once(':').map_or(host, |(host, _)| host))
}

fn is_reserved(name: &str) -> bool {
    if name.to_ascii_lowercase().starts_with("urn:auth0") {
        return true;
    }
    namespace_host(name).is_some_and(|host| {
        let host = host.to_ascii_lowercase();
        RESERVED_HOSTS
            .iter()
            .any(|reserved| host == *reserved || host.ends_with(&format!(".{reserved}")))
    })
}

/// Why a claim is dropped, or `None` when it may be set.
pub fn refusal(name: &str, token: Token) -> Option<&'static str> {
    if name.is_empty() || name.len() > 512 {
        return Some("its name is empty or longer than 512 characters");
    }
    if RESTRICTED.contains(&name) {
        return Some("it is a restricted claim");
    }
    if is_reserved(name) {
        return Some("its namespace is reserved by Auth0");
    }
    let namespaced = namespace_host(name).is_some() || name.starts_with("urn:");
    if token == Token::ManagementAccess && !namespaced {
        return Some("tokens for the Management API take only namespaced claims");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restricted_claims_and_reserved_namespaces_are_dropped() {
        for restricted in ["sub", "aud", "scope", "org_id", "permissions", "x5t#S256"] {
            assert!(refusal(restricted, Token::Access).is_some(), "{restricted}");
        }
        for reserved in [
            "https://auth0.com/claim",
            "https://tenant.auth0.com/x",
            "http://webtask.io/x",
            "https://a.webtask.run:443/x",
            "urn:auth0:foo",
            "URN:AUTH0:foo",
        ] {
            assert!(refusal(reserved, Token::Access).is_some(), "{reserved}");
        }
        for allowed in [
            "https://example.com/roles",
            "tier",
            "urn:example:tier",
            "https://notauth0.com/x",
        ] {
            assert_eq!(refusal(allowed, Token::Access), None, "{allowed}");
            assert_eq!(refusal(allowed, Token::Id), None, "{allowed}");
        }
    }

    #[test]
    fn the_management_api_takes_only_namespaced_claims() {
        assert!(refusal("tier", Token::ManagementAccess).is_some());
        assert_eq!(
            refusal("https://example.com/tier", Token::ManagementAccess),
            None
        );
    }
}
