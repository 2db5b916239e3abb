//! Access tokens as an API verifies them: forged, stale, foreign and mis-signed ones refused.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jwt_compact::alg::{Hs256, Hs256Key};
use jwt_compact::{Algorithm, AlgorithmSignature};
use serde_json::{json, Value};
use shared::management::ResourceServerUpdate;

use crate::error::{Error, OAuthErrorCode};
use crate::testing::{block_on, World, ISSUER, NOW};

use super::machines::*;

#[test]
fn isolates_share_keys_through_the_store() {
    let mut world = World::new();
    create_api(&world, API, "RS256");
    let app = create_m2m_app(&world, None);
    grant(&world, &app, API, &["read:things"]);
    let first = request_token(&world, &app, &[("audience", API)]).unwrap();
    world.cold_isolate();
    let second = request_token(&world, &app, &[("audience", API)]).unwrap();
    assert_eq!(
        decode_part(&first.access_token, 0)["kid"],
        decode_part(&second.access_token, 0)["kid"]
    );
    let jwks = block_on(world.tenant().jwks()).unwrap();
    assert_eq!(jwks.keys.len(), 2, "one key per algorithm");
    for key in &jwks.keys {
        let json = serde_json::to_value(key).unwrap();
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(json.get(private).is_none(), "{private} published");
        }
    }
}

#[test]
fn forged_and_stale_tokens_are_refused() {
    let world = World::new();
    let (_, token) = api_token(&world);
    let header = decode_part(&token, 0);
    let claims = decode_part(&token, 1);
    let signature = token.rsplit('.').next().unwrap();
    let verify = |token: &str| block_on(world.tenant().verify_access_token(token, None));

    // alg "none" with no signature.
    let mut none = header.clone();
    none["alg"] = json!("none");
    let forged = format!("{}.{}.", encode_part(&none), encode_part(&claims));
    assert!(verify(&forged).is_err());

    // HS256 keyed with the public key (algorithm confusion).
    let jwks = block_on(world.tenant().jwks()).unwrap();
    let public = jwks.keys.iter().find(|k| k.kid == header["kid"]).unwrap();
    let mut hs = header.clone();
    hs["alg"] = json!("HS256");
    let input = format!("{}.{}", encode_part(&hs), encode_part(&claims));
    let key = Hs256Key::new(serde_json::to_vec(public).unwrap());
    let mac = Hs256.sign(&key, input.as_bytes());
    assert!(verify(&format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(mac.as_bytes())
    ))
    .is_err());

    // A modified payload under the original signature.
    let mut tampered = claims.clone();
    tampered["scope"] = json!("read:things write:things");
    assert!(verify(&format!(
        "{}.{}.{signature}",
        encode_part(&header),
        encode_part(&tampered)
    ))
    .is_err());

    // An unknown kid.
    let mut unknown = header.clone();
    unknown["kid"] = json!("nope");
    assert!(verify(&format!(
        "{}.{}.{signature}",
        encode_part(&unknown),
        encode_part(&claims)
    ))
    .is_err());

    // Another audience, and the Management API's audience check.
    assert!(block_on(
        world
            .tenant()
            .verify_access_token(&token, Some("https://other.example"))
    )
    .is_err());
    let mgmt = block_on(
        world
            .tenant()
            .authorize_management(Some(&format!("Bearer {token}")), "read:clients"),
    );
    assert!(matches!(mgmt, Err(e) if e.status() == 401));

    // Oversized and malformed.
    assert!(verify(&"a".repeat(10_000)).is_err());
    assert!(verify("a.b").is_err());

    // Still valid one second before expiry, refused at expiry.
    world.clock.advance(3599);
    assert!(verify(&token).is_ok());
    world.clock.advance(1);
    assert!(matches!(
        verify(&token),
        Err(Error::OAuth {
            code: OAuthErrorCode::InvalidToken,
            ..
        })
    ));
}

#[test]
fn a_token_signed_by_the_tenant_but_not_valid_yet_is_refused_until_its_nbf() {
    let world = World::new();
    let (_, token) = api_token(&world);
    // The tenant never sets `nbf`; a token that has one (another issuer's
    // software, a future version) is honoured. Signed with the real key.
    let mut claims = decode_part(&token, 1);
    claims["nbf"] = json!(NOW + 60);
    let tenant = world.tenant();
    let key = block_on(tenant.signing_key(crate::jose::keys::SigningAlg::EdDsa)).unwrap();
    let early = block_on(tenant.encode_jws(&key, "at+jwt", &claims)).unwrap();
    let refused = block_on(tenant.verify_access_token(&early, None));
    assert!(
        matches!(&refused, Err(Error::OAuth { description, .. }) if description.contains("not valid yet")),
        "{refused:?}"
    );
    world.clock.advance(60);
    assert!(block_on(world.tenant().verify_access_token(&early, None)).is_ok());
}

#[test]
fn a_token_signed_by_the_tenant_is_refused_for_its_claims_alone() {
    let world = World::new();
    let (_, token) = api_token(&world);
    let genuine = decode_part(&token, 1);
    let tenant = world.tenant();
    let key = block_on(tenant.signing_key(crate::jose::keys::SigningAlg::EdDsa)).unwrap();
    // Each signed with the real key, so only the claim check can refuse it.
    type Change = fn(&mut Value);
    let cases: [(&str, Change, &str); 5] = [
        (
            "another issuer",
            |c| c["iss"] = json!("https://other.example.com/"),
            "issued by another issuer",
        ),
        (
            "the issuer without its slash",
            |c| c["iss"] = json!(ISSUER.trim_end_matches('/')),
            "issued by another issuer",
        ),
        (
            "no exp",
            |c| {
                c.as_object_mut().unwrap().remove("exp");
            },
            "has expired",
        ),
        ("exp now", |c| c["exp"] = json!(NOW), "has expired"),
        (
            "another audience",
            |c| c["aud"] = json!("https://other-api.example.com/"),
            "not for the audience",
        ),
    ];
    for (what, change, refusal) in cases {
        let mut claims = genuine.clone();
        change(&mut claims);
        let forged = block_on(tenant.encode_jws(&key, "at+jwt", &claims)).unwrap();
        let refused = block_on(tenant.verify_access_token(&forged, Some(API)));
        assert!(
            matches!(&refused, Err(Error::OAuth { code: OAuthErrorCode::InvalidToken, description, .. }) if description.contains(refusal)),
            "{what}: {refused:?}"
        );
    }
    let same = block_on(tenant.encode_jws(&key, "at+jwt", &genuine)).unwrap();
    assert!(
        block_on(tenant.verify_access_token(&same, Some(API))).is_ok(),
        "the genuine claims, signed again, are accepted"
    );
}

#[test]
fn a_token_from_another_tenant_is_refused() {
    let ours = World::new();
    let theirs = World::new();
    create_api(&ours, API, "EdDSA");
    let (_, token) = api_token(&theirs);
    block_on(ours.tenant().jwks()).unwrap();
    assert!(block_on(ours.tenant().verify_access_token(&token, None)).is_err());
}

#[test]
fn the_api_pins_its_algorithm() {
    let world = World::new();
    let (app, token) = api_token(&world);
    let api_id = block_on(world.tenant().get_resource_server(API))
        .unwrap()
        .id;
    block_on(world.tenant().update_resource_server(
        &api_id,
        ResourceServerUpdate {
            signing_alg: Some(shared::protocol::SigningAlg::Rs256),
            ..Default::default()
        },
    ))
    .unwrap();
    assert!(block_on(world.tenant().verify_access_token(&token, None)).is_err());
    let token = request_token(&world, &app, &[("audience", API)])
        .unwrap()
        .access_token;
    assert_eq!(decode_part(&token, 0)["alg"], "RS256");
    assert!(block_on(world.tenant().verify_access_token(&token, None)).is_ok());
}
