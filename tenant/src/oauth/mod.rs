//! The OAuth 2.0 endpoints machines call: discovery (RFC 8414, OIDC
//! Discovery), the token endpoint (RFC 6749 §3.2: client credentials in
//! `token`, the authorization code and refresh token grants in
//! `user_grants`, with revocation, RFC 7009), dynamic registration (RFC
//! 7591 / 7592) and UserInfo (OIDC Core §5.3).

pub mod discovery;
pub mod registration;
pub mod token;
pub mod user_grants;
pub mod userinfo;
