//! The issuer is configuration: which origins a tenant may have, and
//! that it answers for its own alone.

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
