//! Signing people in: the authorization endpoint, the hosted login and
//! signup, consent, sessions, authorization codes, refresh tokens and
//! logout.

pub mod authorize;
pub mod code;
pub mod consent;
pub mod grant;
pub mod login;
pub mod logout;
pub mod outcome;
pub mod refresh_tokens;
pub mod request;
pub mod response;
pub mod sessions;
