//! Signing people in: the authorization endpoint, the hosted login and
//! signup, consent, sessions and logout.

pub mod authorize;
pub mod sessions;
