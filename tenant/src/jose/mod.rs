//! JOSE: the tenant's signing keys and JWKS (RFC 7517), access tokens in
//! the RFC 9068 profile, and OpenID Connect ID tokens.

pub mod access_token;
pub mod id_token;
pub mod keys;
