//! The small pieces the protocols are made of, each with its own rules and
//! none with storage: client secrets, password hashes, PKCE, redirect URIs,
//! scopes and the text of names.

pub mod password;
pub mod pkce;
pub mod redirect_uri;
pub mod scope;
pub mod secret;
pub mod text;
