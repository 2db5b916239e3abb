//! Whole flows through the tenant on the in-memory store, one file per
//! capability, and the property tests of what anyone may send.

mod flows;
mod issuer;
mod properties;
mod sign_in_flows;
