//! What a sign-in may grant a client: the API (the request's audience,
//! else the tenant's default), its scopes (as far as the person holds them
//! where the API enforces RBAC) and the OpenID Connect scopes.

use crate::error::{echo, OAuthErrorCode, Result};
use crate::management::resource_servers::ResourceServerRecord;
use crate::management::users::UserRecord;
use crate::primitives::scope::Scope;
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::Database;
use crate::seams::store::Store;
use crate::sign_in::request::{AuthorizeRequest, GrantType};
use crate::sign_in::sessions::Session;
use crate::Tenant;

/// Scopes defined by OpenID Connect; they are about the user, not an API.
pub const OIDC_SCOPES: &[(&str, &str)] = &[
    ("openid", "Sign you in"),
    ("profile", "Your profile: name, nickname and picture"),
    ("email", "Your email address"),
    (
        "offline_access",
        "Stay signed in: keep access while you are away",
    ),
];

/// The sign-in's decision about scopes: for whom, and which.
pub(super) struct Grant {
    pub(super) api: Option<ResourceServerRecord>,
    /// OIDC scopes granted (`openid`, `profile`, `email`).
    pub(super) oidc: Scope,
    /// API scopes granted.
    pub(super) api_scopes: Scope,
}

impl Grant {
    pub(super) fn scope(&self) -> Scope {
        self.oidc.union(&self.api_scopes)
    }
}

/// What of `asked` a person may grant of `api` now: the scopes it defines
/// and, where it enforces RBAC (and always for the tenant's own Management
/// API), only those the person holds. A sign-in and every refresh decide
/// the same way.
pub(crate) fn grantable_api_scopes(
    api: &ResourceServerRecord,
    user: &UserRecord,
    asked: &Scope,
) -> Scope {
    let rbac = api.enforce_policies || api.is_system;
    asked
        .iter()
        .filter(|s| api.defines_scope(s))
        .filter(|s| !rbac || user.permissions_on(&api.identifier).any(|p| p == *s))
        .collect()
}

/// The OpenID Connect scopes of `scope`.
pub(crate) fn oidc_scopes(scope: &Scope) -> Scope {
    scope
        .iter()
        .filter(|s| OIDC_SCOPES.iter().any(|(name, _)| name == s))
        .collect()
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// Which API and scopes this person may grant this client.
    pub(super) async fn grant(
        &self,
        request: &AuthorizeRequest,
        session: &Session,
    ) -> Result<Grant> {
        let audience = match &request.audience {
            Some(audience) => Some(audience.clone()),
            None => Some(self.settings().await?.default_audience).filter(|a| !a.is_empty()),
        };
        let api = match &audience {
            None => None,
            Some(audience) => match self.resource_server_by_identifier(audience).await? {
                Some(api) => Some((*api).clone()),
                None => {
                    return Err(self.refuse(
                        request,
                        OAuthErrorCode::AccessDenied,
                        &format!("Service not found: {}", echo(audience)),
                    ))
                }
            },
        };
        if api.as_ref().is_some_and(|api| api.is_system) && request.client.is_third_party() {
            return Err(self.refuse(
                request,
                OAuthErrorCode::AccessDenied,
                "Third-party applications cannot be granted the Management API",
            ));
        }
        // OIDC Core §11: offline access (a refresh token) comes only with a
        // code, to a client allowed refresh tokens, for an API that allows
        // it (or none).
        let offline = request.response_type.code
            && request.client.allows_grant(GrantType::RefreshToken)
            && self.allows_offline_access(api.as_ref(), &request.client.client_id);
        let oidc: Scope = oidc_scopes(&request.scope)
            .iter()
            .filter(|s| *s != "offline_access" || offline)
            .collect();
        let api_scopes = match &api {
            None => Scope::default(),
            Some(api) => grantable_api_scopes(api, &session.user, &request.scope),
        };
        // Without an access token (now, or for a code later) nothing of the
        // API is granted, so nothing of it is asked either.
        if !request.response_type.token && !request.response_type.code {
            return Ok(Grant {
                api: None,
                oidc,
                api_scopes: Scope::default(),
            });
        }
        Ok(Grant {
            api,
            oidc,
            api_scopes,
        })
    }

    /// Auth0's `allow_offline_access`: refresh tokens for no API, or for an
    /// API that allows them. The Management API allows none, except to the
    /// tenant's own Dashboard, which keeps its refresh token in memory.
    pub(crate) fn allows_offline_access(
        &self,
        api: Option<&ResourceServerRecord>,
        client_id: &str,
    ) -> bool {
        api.is_none_or(|api| {
            api.allow_offline_access || (api.is_system && client_id == self.dashboard_client_id())
        })
    }
}
