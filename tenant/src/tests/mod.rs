//! Whole flows through the tenant on the in-memory store, one file per
//! capability, and the property tests of what anyone may send.

mod access_tokens;
mod actions;
mod administrators;
mod audit_log;
mod authorization_code;
mod client_credentials;
mod consent;
mod issuer;
mod machines;
mod management_api;
mod organizations;
mod people;
mod properties;
mod read_model;
mod registration;
mod secret_rotation;
mod sessions;
mod sign_in;
mod throttling;
mod users;
