//! The small pieces the protocols are made of, each with its own rules and
//! none with storage: client secrets, password hashes, the stored form of
//! opaque tokens, PKCE, redirect URIs, scopes and the text of names.

pub mod opaque;
pub mod password;
pub mod pkce;
pub mod redirect_uri;
pub mod scope;
pub mod secret;
pub mod text;
