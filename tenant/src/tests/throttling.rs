//! Throttling: failed client authentication, sign-ins and open registration.

use shared::token::TokenResponse;

use crate::error::{Error, OAuthErrorCode};
use crate::testing::{block_on, World};

use super::machines::*;

/// A fixed-window counter like the Workers binding: `limit` events per key.
struct CountingLimit {
    limit: u32,
    counts: std::cell::RefCell<std::collections::HashMap<String, u32>>,
}

impl CountingLimit {
    fn new(limit: u32) -> Self {
        Self {
            limit,
            counts: Default::default(),
        }
    }

    fn counted(&self) -> u32 {
        self.counts.borrow().values().sum()
    }

    /// The window ends.
    fn reset(&self) {
        self.counts.borrow_mut().clear();
    }
}

impl crate::throttle::RateLimit for CountingLimit {
    async fn allow(&self, key: &str) -> crate::Result<bool> {
        let mut counts = self.counts.borrow_mut();
        let count = counts.entry(key.to_string()).or_default();
        *count += 1;
        Ok(*count <= self.limit)
    }
}

fn throttled_token(
    world: &World,
    ip: &str,
    limits: &crate::throttle::ClientAuthLimits<'_, CountingLimit>,
    client_id: &str,
    client_secret: &str,
) -> Result<TokenResponse, Error> {
    let body = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", client_secret),
        ("audience", API),
    ]);
    block_on(from_ip(world, ip).token_throttled(None, FORM, &body, limits))
}

#[test]
fn failed_client_authentication_is_throttled_per_client_and_address_without_locking_out_other_addresses(
) {
    let world = World::new();
    let app = granted_app(&world);
    let (per_client, per_ip) = (CountingLimit::new(3), CountingLimit::new(100));
    let limits = crate::throttle::ClientAuthLimits {
        per_client: &per_client,
        per_ip: &per_ip,
    };
    let wrong = format!("{}x", app.client_secret);

    for _ in 0..3 {
        assert_oauth_error(
            throttled_token(&world, "203.0.113.7", &limits, &app.client_id, &wrong),
            401,
            OAuthErrorCode::InvalidClient,
        );
    }
    let throttled = throttled_token(&world, "203.0.113.7", &limits, &app.client_id, &wrong);
    assert_oauth_error(throttled.clone(), 429, OAuthErrorCode::TooManyRequests);
    let wire = throttled.unwrap_err().to_wire(crate::Family::OAuth);
    assert!(wire.headers.iter().any(|(name, _)| *name == "Retry-After"));

    // The attacker's address learns nothing more, even with the right
    // secret: it is refused before any secret is checked.
    let counted = per_client.counted();
    assert_oauth_error(
        throttled_token(
            &world,
            "203.0.113.7",
            &limits,
            &app.client_id,
            &app.client_secret,
        ),
        429,
        OAuthErrorCode::TooManyRequests,
    );
    assert_eq!(
        per_client.counted(),
        counted,
        "a refused request is not counted again"
    );
    // The client itself, from its own address, is not locked out.
    throttled_token(
        &world,
        "198.51.100.1",
        &limits,
        &app.client_id,
        &app.client_secret,
    )
    .expect("the legitimate client on another address gets its token");

    // One `limit_mu` event for the burst, naming the client and address,
    // holding no secret.
    let events = world.audit_log();
    let bursts: Vec<_> = events
        .iter()
        .filter(|e| e.event_type == "limit_mu")
        .collect();
    assert_eq!(bursts.len(), 1, "{events:?}");
    assert_eq!(bursts[0].client_id.as_deref(), Some(app.client_id.as_str()));
    assert_eq!(bursts[0].ip.as_deref(), Some("203.0.113.7"));
    assert_eq!(bursts[0].user_agent.as_deref(), Some("attack-tool/1.0"));
    let raw = serde_json::to_string(&events).unwrap();
    assert!(
        !raw.contains(&app.client_secret),
        "no secret in the log: {raw}"
    );

    // After the window, the address may try again.
    world.clock.advance(crate::throttle::WINDOW_SECONDS);
    per_client.reset();
    throttled_token(
        &world,
        "203.0.113.7",
        &limits,
        &app.client_id,
        &app.client_secret,
    )
    .expect("the throttle lifts after its window");
}

#[test]
fn a_burst_of_swapped_credentials_does_not_write_the_secret_to_the_log() {
    let world = World::new();
    create_api(&world, API, "EdDSA");
    let app = create_m2m_app(&world, None);
    let (per_client, per_ip) = (CountingLimit::new(2), CountingLimit::new(100));
    let limits = crate::throttle::ClientAuthLimits {
        per_client: &per_client,
        per_ip: &per_ip,
    };
    // The secret sent as the id, as a client with its settings mixed up does.
    for _ in 0..3 {
        let _ = throttled_token(
            &world,
            "203.0.113.8",
            &limits,
            &app.client_secret,
            &app.client_id,
        );
    }
    let events = world.audit_log();
    let burst = events
        .iter()
        .find(|e| e.event_type == "limit_mu")
        .expect("the burst is logged");
    assert_eq!(burst.client_id, None);
    assert_eq!(burst.details.target.as_ref().unwrap().id, None);
    let raw = serde_json::to_string(&events).unwrap();
    assert!(!raw.contains(&app.client_secret), "{raw}");
}

fn client_keys(world: &World) -> usize {
    let projected = world
        .store
        .snapshot()
        .keys()
        .filter(|k| k.starts_with("client/"))
        .count();
    assert_eq!(
        world.db.count("clients"),
        projected,
        "every client is projected"
    );
    projected
}

fn events_of_type<'e>(
    events: &'e [shared::logs::LogEvent],
    event_type: &str,
) -> Vec<&'e shared::logs::LogEvent> {
    events
        .iter()
        .filter(|e| e.event_type == event_type)
        .collect()
}

#[test]
fn a_registration_flood_from_one_address_is_refused_writes_no_client_and_is_logged_once_a_window() {
    let world = World::new();
    enable_registration(&world);
    let per_ip = CountingLimit::new(3);
    let register = |ip: &str| {
        let tenant = from_ip(&world, ip);
        let result = block_on(async {
            tenant.admit_registration(&per_ip).await?;
            tenant
                .register_client(br#"{"redirect_uris":["https://a.example/cb"]}"#)
                .await
        });
        // The registration's own event, written after the response.
        let failure = block_on(tenant.take_deferred().write(&world.db));
        assert!(failure.is_none(), "{failure:?}");
        result
    };
    for _ in 0..3 {
        register("203.0.113.9").expect("within the limit");
    }
    let clients = client_keys(&world);
    for _ in 0..5 {
        assert_oauth_error(
            register("203.0.113.9"),
            429,
            OAuthErrorCode::TooManyRequests,
        );
    }
    assert_eq!(
        client_keys(&world),
        clients,
        "a refused registration writes no client"
    );
    register("198.51.100.2").expect("another address is not throttled");

    let events = world.audit_log();
    let floods = events_of_type(&events, "limit_mu");
    assert_eq!(floods.len(), 1, "one event for the burst: {events:?}");
    assert_eq!(floods[0].ip.as_deref(), Some("203.0.113.9"));
    assert_eq!(floods[0].client_id, None);
    assert!(floods[0]
        .details
        .reason
        .as_deref()
        .is_some_and(|reason| reason.contains("registrations")));

    // The next window's burst is logged again.
    world.clock.advance(crate::throttle::WINDOW_SECONDS);
    per_ip.reset();
    for _ in 0..4 {
        let _ = register("203.0.113.9");
    }
    assert_eq!(events_of_type(&world.audit_log(), "limit_mu").len(), 2);
}

#[test]
fn sign_in_attempts_are_throttled_per_address_and_per_account_from_one_address() {
    let world = World::new();
    let client_id = create_m2m_app(&world, None).client_id;
    let (per_ip, per_account) = (CountingLimit::new(5), CountingLimit::new(2));
    let limits = crate::throttle::LoginLimits {
        per_ip: &per_ip,
        per_account: &per_account,
    };
    let admit = |ip: &str, email: &str| {
        block_on(from_ip(&world, ip).admit_login(Some(&client_id), email, &limits)).unwrap()
    };
    let attacker = "203.0.113.10";
    // One account is tried under three spellings of its email.
    assert!(admit(attacker, "Ada@Example.com"));
    assert!(admit(attacker, " ada@example.com"));
    assert!(
        !admit(attacker, "ADA@example.com"),
        "the account, from there"
    );
    // The person signs in from their own address; the attacker's address
    // may still try other accounts, up to its own limit.
    assert!(admit("198.51.100.3", "ada@example.com"));
    assert!(admit(attacker, "grace@example.com"));
    assert!(admit(attacker, "alan@example.com"));
    let per_account_counted = per_account.counted();
    assert!(!admit(attacker, "edsger@example.com"), "the address");
    assert!(!admit(attacker, "barbara@example.com"));
    assert!(!admit(attacker, "ada@example.com"));
    assert_eq!(
        per_account.counted(),
        per_account_counted,
        "no account is counted once the address is over its limit"
    );

    // Sign-in throttling is not client-authentication throttling: a client
    // at the same address still gets its token.
    let app = granted_app(&world);
    let (auth_per_client, auth_per_ip) = (CountingLimit::new(3), CountingLimit::new(3));
    let auth_limits = crate::throttle::ClientAuthLimits {
        per_client: &auth_per_client,
        per_ip: &auth_per_ip,
    };
    throttled_token(
        &world,
        attacker,
        &auth_limits,
        &app.client_id,
        &app.client_secret,
    )
    .expect("a client at a throttled sign-in address");

    let events = world.audit_log();
    let account = events_of_type(&events, "limit_wc");
    assert_eq!(account.len(), 1, "{events:?}");
    assert_eq!(account[0].ip.as_deref(), Some(attacker));
    assert_eq!(account[0].user_name.as_deref(), Some("ada@example.com"));
    assert_eq!(account[0].client_id.as_deref(), Some(client_id.as_str()));
    let address = events_of_type(&events, "limit_mu");
    assert_eq!(address.len(), 1, "one event for the burst: {events:?}");
    assert_eq!(address[0].ip.as_deref(), Some(attacker));
    assert_eq!(
        address[0].user_name, None,
        "the address's event names no account"
    );
}

/// A limiter that cannot answer for keys starting with its prefix, and
/// allows everything else.
struct BrokenLimit(&'static str);

impl crate::throttle::RateLimit for BrokenLimit {
    async fn allow(&self, key: &str) -> crate::Result<bool> {
        if key.starts_with(self.0) {
            return Err(Error::unavailable("the rate limiter is down"));
        }
        Ok(true)
    }
}

#[test]
fn a_limiter_that_cannot_answer_admits_no_sign_in_and_no_registration() {
    let world = World::new();
    enable_registration(&world);
    for broken in ["login_ip:", "login_account:"] {
        let limit = BrokenLimit(broken);
        let limits = crate::throttle::LoginLimits {
            per_ip: &limit,
            per_account: &limit,
        };
        let admitted = block_on(world.tenant().admit_login(None, "ada@example.com", &limits));
        assert!(admitted.is_err(), "{broken}: {admitted:?}");
    }
    assert!(block_on(world.tenant().admit_registration(&BrokenLimit("register:"))).is_err());
    assert!(
        world.audit_log().is_empty(),
        "nothing was refused or logged"
    );
}

#[test]
fn a_throttled_sign_in_logs_neither_a_password_typed_as_the_email_nor_a_malformed_client_id() {
    let world = World::new();
    let (per_ip, per_account) = (CountingLimit::new(100), CountingLimit::new(1));
    let limits = crate::throttle::LoginLimits {
        per_ip: &per_ip,
        per_account: &per_account,
    };
    let typed = "hunter2-is-my-password";
    let sent_client_id = "not a client id, maybe a secret";
    for _ in 0..3 {
        let _ = block_on(
            world
                .tenant()
                .admit_login(Some(sent_client_id), typed, &limits),
        );
    }
    let events = world.audit_log();
    let account = events_of_type(&events, "limit_wc");
    assert_eq!(account.len(), 1, "{events:?}");
    assert_eq!(account[0].user_name, None);
    assert_eq!(account[0].client_id, None);
    let raw = serde_json::to_string(&events).unwrap();
    assert!(
        !raw.contains(typed) && !raw.contains(sent_client_id),
        "{raw}"
    );
}

#[test]
fn failures_from_one_address_are_throttled_across_client_ids_and_successes_are_never_counted() {
    let world = World::new();
    let app = granted_app(&world);
    let (per_client, per_ip) = (CountingLimit::new(100), CountingLimit::new(5));
    let limits = crate::throttle::ClientAuthLimits {
        per_client: &per_client,
        per_ip: &per_ip,
    };
    for _ in 0..5 {
        throttled_token(
            &world,
            "192.0.2.1",
            &limits,
            &app.client_id,
            &app.client_secret,
        )
        .unwrap();
    }
    assert_eq!(
        (per_client.counted(), per_ip.counted()),
        (0, 0),
        "successes cost no count"
    );

    for i in 0..5 {
        assert_oauth_error(
            throttled_token(&world, "192.0.2.66", &limits, &format!("guess{i}"), "s"),
            401,
            OAuthErrorCode::InvalidClient,
        );
    }
    assert_oauth_error(
        throttled_token(&world, "192.0.2.66", &limits, "guess-next", "s"),
        429,
        OAuthErrorCode::TooManyRequests,
    );
    assert_oauth_error(
        throttled_token(
            &world,
            "192.0.2.66",
            &limits,
            &app.client_id,
            &app.client_secret,
        ),
        429,
        OAuthErrorCode::TooManyRequests,
    );
    throttled_token(
        &world,
        "192.0.2.1",
        &limits,
        &app.client_id,
        &app.client_secret,
    )
    .expect("other addresses are unaffected");
}
