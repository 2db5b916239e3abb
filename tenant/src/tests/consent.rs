//! Consent for third-party applications.

use crate::sign_in::outcome::Outcome;
use crate::testing::{block_on, World, ISSUER};

use super::people::*;

#[test]
fn a_third_party_client_needs_consent_which_is_remembered() {
    let world = World::new();
    create_user(&world, EMAIL);
    create_api(&world, false);
    let client_id = register_third_party(&world);
    let q = query(&client_id, &[]);

    let (outcome, session) = sign_in(&world, &q);
    let Outcome::Consent(prompt) = outcome else {
        panic!("expected the consent page, got {outcome:?}")
    };
    assert_eq!(prompt.client_name, "Partner app");
    let scopes: Vec<&str> = prompt.scopes.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(scopes, ["openid", "profile", "email", "read:notes"]);
    assert_eq!(prompt.scopes[3].1, "Read your notes");

    let silent = query(&client_id, &[("prompt", "none")]);
    let refused = response(block_on(world.tenant().authorize(&silent, Some(&session))));
    assert_eq!(param(&refused, "error"), Some("consent_required"));

    let denied = response(block_on(world.tenant().decide_consent(
        &q,
        Some(&session),
        false,
    )));
    assert_eq!(param(&denied, "error"), Some("access_denied"));
    assert_eq!(param(&denied, "state"), Some("st-123"));

    let allowed = response(block_on(world.tenant().decide_consent(
        &q,
        Some(&session),
        true,
    )));
    assert!(param(&allowed, "access_token").is_some());

    // Remembered: the same scopes go straight through, even silently...
    let again = response(block_on(world.tenant().authorize(&silent, Some(&session))));
    assert!(param(&again, "id_token").is_some());
    // ...but a new scope asks again.
    let more = query(&client_id, &[("scope", "openid read:notes write:notes")]);
    assert!(matches!(
        block_on(world.tenant().authorize(&more, Some(&session))).unwrap(),
        Outcome::Consent(_)
    ));
    // A consent decision needs a session.
    assert!(matches!(
        block_on(world.tenant().decide_consent(&q, None, true)).unwrap(),
        Outcome::Login(_)
    ));
}

#[test]
fn a_third_party_client_never_gets_the_management_api() {
    let world = World::new();
    create_user(&world, EMAIL);
    let client_id = register_third_party(&world);
    let q = query(&client_id, &[("audience", &format!("{ISSUER}api/v2/"))]);
    let (outcome, _) = sign_in(&world, &q);
    assert_eq!(
        param(&response(Ok(outcome)), "error"),
        Some("access_denied")
    );
}

#[test]
fn consent_is_asked_per_api_and_names_the_api_and_where_the_tokens_go() {
    let world = World::new();
    create_user(&world, EMAIL);
    create_api(&world, false);
    let client_id = register_third_party(&world);

    // Approved for signing in alone, with no API.
    let openid = query(&client_id, &[("audience", ""), ("scope", "openid")]);
    let (outcome, session) = sign_in(&world, &openid);
    let Outcome::Consent(prompt) = outcome else {
        panic!("expected the consent page, got {outcome:?}")
    };
    assert_eq!(prompt.api, None);
    assert_eq!(prompt.destination(), "app.example");
    block_on(world.tenant().decide_consent(&openid, Some(&session), true)).unwrap();

    // The same scope with an access token for the API is another consent,
    // though it asks for no permission of the API.
    let api = query(
        &client_id,
        &[("response_type", "token"), ("scope", "openid")],
    );
    let silent = query(
        &client_id,
        &[
            ("response_type", "token"),
            ("scope", "openid"),
            ("prompt", "none"),
        ],
    );
    let refused = response(block_on(world.tenant().authorize(&silent, Some(&session))));
    assert_eq!(param(&refused, "error"), Some("consent_required"));
    assert_eq!(param(&refused, "access_token"), None);
    let Outcome::Consent(prompt) =
        block_on(world.tenant().authorize(&api, Some(&session))).unwrap()
    else {
        panic!("expected the consent page for the API")
    };
    assert_eq!(prompt.api, Some(("Notes".to_string(), API.to_string())));
    let allowed = response(block_on(world.tenant().decide_consent(
        &api,
        Some(&session),
        true,
    )));
    let token = claims(param(&allowed, "access_token").unwrap());
    assert_eq!(token["aud"][0], API);
    // Remembered for that API now.
    let again = response(block_on(world.tenant().authorize(&silent, Some(&session))));
    assert!(param(&again, "access_token").is_some());
}
