//! The OAuth 2.0 endpoints machines call: discovery and JWKS, the token
//! endpoint, dynamic registration and UserInfo.

pub mod discovery;
pub mod registration;
pub mod token;
pub mod userinfo;
