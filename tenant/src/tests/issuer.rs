//! The issuer is configuration: which origins a tenant may have, and
//! that it answers for its own alone.

use super::machines::*;
use crate::testing::{block_on, World};
use crate::Config;

#[test]
fn the_issuer_is_a_canonical_https_url_or_loopback_http() {
    for (given, issuer, origin) in [
        (
            "https://auth.example.com",
            "https://auth.example.com/",
            "https://auth.example.com",
        ),
        (
            "https://auth.example.com///",
            "https://auth.example.com/",
            "https://auth.example.com",
        ),
        (
            "https://auth.example.com:8443",
            "https://auth.example.com:8443/",
            "https://auth.example.com:8443",
        ),
        (
            "http://127.0.0.1:8787/",
            "http://127.0.0.1:8787/",
            "http://127.0.0.1:8787",
        ),
        (
            "http://localhost:8787",
            "http://localhost:8787/",
            "http://localhost:8787",
        ),
    ] {
        let config = Config::new(given, None).unwrap();
        assert_eq!(
            (config.issuer(), config.origin()),
            (issuer, origin),
            "{given}"
        );
        assert!(config.serves(origin));
    }
    for bad in [
        "",
        "auth.example.com",
        "http://auth.example.com/",
        "https://Auth.Example.com/",
        "https://auth.example.com:443/",
        "https://auth.example.com/?x=1",
        "https://auth.example.com/tenant/",
        "https://user@auth.example.com/",
        "ftp://auth.example.com/",
    ] {
        assert!(Config::new(bad, None).is_err(), "{bad:?} was accepted");
    }
}

#[test]
fn a_tenant_serves_its_issuers_origin_and_no_other() {
    let config = Config::new("https://auth.example.com/", None).unwrap();
    for other in [
        "https://evil.example",
        "http://auth.example.com",
        "https://auth.example.com:8443",
        "https://tenant.workers.dev",
    ] {
        assert!(!config.serves(other), "{other}");
    }
}

#[test]
fn isolate_memory_never_serves_one_issuers_records_to_another() {
    // One isolate (one cache) serving two issuers in turn, over two stores:
    // an API remembered for the first is unknown to the second, and the
    // second's Management API is its own system API even where the first
    // had an API with that identifier in memory.
    let first = World::new();
    let mut second = World::new();
    second.config = crate::Config::new("https://other.example/", None).unwrap();
    let borrowed = "https://other.example/api/v2/";
    for identifier in [API, borrowed] {
        create_api(&first, identifier, "EdDSA");
        assert!(
            block_on(first.tenant().resource_server_by_identifier(identifier))
                .unwrap()
                .is_some()
        );
    }
    let second_tenant = crate::Tenant::new(
        &second.store,
        &second.db,
        &second.crypto,
        &second.clock,
        &second.rng,
        &first.cache,
        &second.config,
    );
    assert!(block_on(second_tenant.resource_server_by_identifier(API))
        .unwrap()
        .is_none());
    let management = block_on(second_tenant.resource_server_by_identifier(borrowed))
        .unwrap()
        .unwrap();
    assert!(management.is_system, "{management:?}");
}
