//! Wire types of the tenant's HTTP APIs, shared by the Worker and the SPA.
//!
//! One module per area. Request types reject unknown fields so a typo in a
//! Management API call is a 400 naming the field, never a silently ignored
//! setting; response types are plain data.

pub mod actions;
pub mod app;
pub mod discovery;
pub mod error;
pub mod logs;
pub mod management;
pub mod organizations;
pub mod protocol;
pub mod registration;
pub mod scope;
pub mod token;
