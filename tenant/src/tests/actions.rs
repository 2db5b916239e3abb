//! Actions: the Management API's lifecycle (create, deploy, versions, roll
//! back, bindings, secrets) and the triggers' contract (claims, deny,
//! order, failures, secrets, cost), with a scripted runner whose actions'
//! code says what they do.

use serde_json::{json, Value};
use shared::actions::{
    ActionCreate, ActionTest, ActionUpdate, BindingInput, BindingRef, BindingsUpdate, Dependency,
    SecretInput, SupportedTrigger, TriggerId,
};

use crate::error::{Error, OAuthErrorCode};
use crate::seams::runner::RunRequest;
use crate::testing::{block_on, ScriptedRunner, World};

use super::machines::*;

fn triggers(trigger: TriggerId) -> Vec<SupportedTrigger> {
    vec![SupportedTrigger {
        id: trigger.as_str().into(),
        version: trigger.version().into(),
    }]
}

/// A deployed action whose run does what `script` says (see
/// [`ScriptedRunner`]), with `secrets`; its id.
fn deployed(
    world: &World,
    trigger: TriggerId,
    name: &str,
    script: Value,
    secrets: &[(&str, &str)],
) -> String {
    block_on(
        world.tenant().create_action(ActionCreate {
            name: name.into(),
            supported_triggers: triggers(trigger),
            code: Some(script.to_string()),
            secrets: Some(
                secrets
                    .iter()
                    .map(|(name, value)| SecretInput {
                        name: name.to_string(),
                        value: Some(value.to_string()),
                    })
                    .collect(),
            ),
            deploy: Some(true),
            ..Default::default()
        }),
    )
    .unwrap()
    .id
}

fn bind(world: &World, trigger: TriggerId, ids: &[&str]) -> Value {
    block_on(
        world.tenant().update_bindings(
            trigger.as_str(),
            BindingsUpdate {
                bindings: ids
                    .iter()
                    .map(|id| BindingInput {
                        reference: BindingRef {
                            kind: "action_id".into(),
                            value: id.to_string(),
                        },
                        display_name: None,
                        secrets: None,
                    })
                    .collect(),
            },
        ),
    )
    .unwrap()
}

fn claim(name: &str, value: Value) -> Value {
    json!({"op": "access_token_claim", "name": name, "value": value})
}

/// A client credentials grant through `runner`.
fn grant_with(world: &World, runner: &ScriptedRunner, app: &App) -> Result<Value, Error> {
    let body = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", app.client_id.as_str()),
        ("client_secret", app.client_secret.as_str()),
        ("audience", API),
        ("scope", "read:things"),
    ]);
    let tenant = world.tenant().with_runner(runner);
    let result = block_on(tenant.token(None, FORM, &body));
    // Executions are written after the response; write them here.
    let deferred = tenant.take_deferred();
    assert!(block_on(deferred.write(&world.db)).is_none());
    result.map(|response| decode_part(&response.access_token, 1))
}

fn oauth(result: Result<Value, Error>) -> (u16, OAuthErrorCode, String) {
    match result {
        Err(Error::OAuth {
            status,
            code,
            description,
            ..
        }) => (status, code, description),
        other => panic!("expected an OAuth error, got {other:?}"),
    }
}

fn executions(world: &World) -> Vec<Value> {
    let rows: Vec<crate::seams::database::Doc> = block_on(crate::seams::database::all(
        &world.db,
        crate::seams::database::Statement::new(
            "SELECT doc FROM action_executions ORDER BY created_at",
        ),
    ))
    .unwrap();
    rows.iter().map(|row| row.record().unwrap()).collect()
}

#[test]
fn an_action_adds_claims_and_restricted_ones_are_dropped() {
    let world = World::new();
    let app = granted_app(&world);
    let runner = ScriptedRunner::default();
    let id = deployed(
        &world,
        TriggerId::CredentialsExchange,
        "Add tier",
        json!({"commands": [
            claim("https://example.com/tier", json!("gold")),
            claim("tier", json!({"level": 2})),
            claim("sub", json!("someone-else")),
            claim("https://auth0.com/x", json!(1)),
        ], "logs": ["hello"]}),
        &[],
    );
    bind(&world, TriggerId::CredentialsExchange, &[&id]);
    let claims = grant_with(&world, &runner, &app).unwrap();
    assert_eq!(claims["https://example.com/tier"], "gold");
    assert_eq!(claims["tier"], json!({"level": 2}));
    assert_eq!(
        claims["sub"],
        format!("{}@clients", app.client_id),
        "restricted: dropped"
    );
    assert_eq!(
        claims.get("https://auth0.com/x"),
        None,
        "reserved namespace: dropped"
    );

    // The action saw Auth0's event, without the client's secret.
    let runs = runner.runs.borrow();
    let event = &runs[0].event;
    assert_eq!(event["client"]["client_id"], app.client_id.as_str());
    assert_eq!(event["resource_server"]["identifier"], API);
    assert_eq!(
        event["transaction"]["requested_scopes"],
        json!(["read:things"])
    );
    assert_eq!(event["accessToken"]["scope"], json!(["read:things"]));
    assert_eq!(event["request"]["body"]["grant_type"], "client_credentials");
    assert_eq!(event["request"]["body"].get("client_secret"), None);
    assert!(!event.to_string().contains(&app.client_secret));

    // The execution says what ran and what was dropped.
    let recorded = executions(&world);
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0]["status"], "final");
    let logs = recorded[0]["results"][0]["logs"].to_string();
    assert!(
        logs.contains("hello") && logs.contains("claim sub dropped"),
        "{logs}"
    );
}

#[test]
fn actions_run_in_binding_order_and_a_deny_wins() {
    let world = World::new();
    let app = granted_app(&world);
    let runner = ScriptedRunner::default();
    let first = deployed(
        &world,
        TriggerId::CredentialsExchange,
        "First",
        json!({"commands": [claim("https://x/one", json!(1))]}),
        &[],
    );
    let second = deployed(
        &world,
        TriggerId::CredentialsExchange,
        "Second",
        json!({"commands": [claim("https://x/two", json!(2))]}),
        &[],
    );
    bind(&world, TriggerId::CredentialsExchange, &[&first, &second]);
    let claims = grant_with(&world, &runner, &app).unwrap();
    assert_eq!(
        (
            claims["https://x/one"].clone(),
            claims["https://x/two"].clone()
        ),
        (json!(1), json!(2))
    );
    {
        let runs = runner.runs.borrow();
        // The second saw the first's claim.
        assert_eq!(
            runs[1].event["accessToken"]["customClaims"]["https://x/one"],
            1
        );
    }
    runner.runs.borrow_mut().clear();

    let deny = deployed(
        &world,
        TriggerId::CredentialsExchange,
        "Deny",
        json!({"commands": [{"op": "deny", "code": "invalid_scope", "reason": "Not for this customer"}]}),
        &[],
    );
    bind(
        &world,
        TriggerId::CredentialsExchange,
        &[&first, &deny, &second],
    );
    let (status, code, description) = oauth(grant_with(&world, &runner, &app));
    assert_eq!((status, code), (400, OAuthErrorCode::InvalidScope));
    assert_eq!(description, "Not for this customer");
    assert_eq!(runner.runs.borrow().len(), 2, "nothing runs after a deny");

    let server = deployed(
        &world,
        TriggerId::CredentialsExchange,
        "Server error",
        json!({"commands": [{"op": "deny", "code": "server_error", "reason": "Upstream down"}]}),
        &[],
    );
    bind(&world, TriggerId::CredentialsExchange, &[&server]);
    assert_eq!(oauth(grant_with(&world, &runner, &app)).0, 500);
}

#[test]
fn a_failing_or_late_action_fails_the_request_with_its_execution_and_no_stack() {
    let world = World::new();
    let app = granted_app(&world);
    let runner = ScriptedRunner::default();
    for (name, script) in [
        (
            "Throws",
            json!({"error": "TypeError: x is undefined\n    at stack (secret.js:1)", "logs": ["before"]}),
        ),
        ("Loops", json!({"timed_out": true})),
        (
            "Bad deny",
            json!({"commands": [{"op": "deny", "code": "teapot"}]}),
        ),
    ] {
        let id = deployed(&world, TriggerId::CredentialsExchange, name, script, &[]);
        bind(&world, TriggerId::CredentialsExchange, &[&id]);
        let (status, code, description) = oauth(grant_with(&world, &runner, &app));
        assert_eq!((status, code), (500, OAuthErrorCode::ServerError), "{name}");
        assert!(
            description.starts_with(&format!("The action \"{name}\" failed; see execution ")),
            "{description}"
        );
        assert!(
            !description.contains("stack") && !description.contains("TypeError"),
            "{description}"
        );
        let execution_id = description.rsplit(' ').next().unwrap();
        let execution = block_on(world.tenant().get_execution(execution_id)).unwrap();
        assert_eq!(execution.status, "partial");
        let error = execution.results[0]
            .error
            .clone()
            .expect("the error is recorded")
            .msg;
        match name {
            "Throws" => assert!(error.starts_with("TypeError: x is undefined"), "{error}"),
            "Loops" => assert!(error.contains("did not finish within 5000 ms"), "{error}"),
            _ => assert!(error.contains("api.access.deny"), "{error}"),
        }
    }
}

#[test]
fn each_action_gets_only_its_own_secrets_which_are_stored_encrypted() {
    let world = World::new();
    let app = granted_app(&world);
    let runner = ScriptedRunner::default();
    let a = deployed(
        &world,
        TriggerId::CredentialsExchange,
        "A",
        json!({}),
        &[("API_KEY", "alpha-value")],
    );
    let b = deployed(
        &world,
        TriggerId::CredentialsExchange,
        "B",
        json!({}),
        &[("OTHER", "beta-value")],
    );
    bind(&world, TriggerId::CredentialsExchange, &[&a, &b]);
    grant_with(&world, &runner, &app).unwrap();
    let runs = runner.runs.borrow();
    assert_eq!(runs[0].event["secrets"], json!({"API_KEY": "alpha-value"}));
    assert_eq!(runs[1].event["secrets"], json!({"OTHER": "beta-value"}));
    // Nowhere in the system of record or the read model in the clear.
    let everything = format!("{:?}{:?}", world.db.snapshot(), world.store.snapshot());
    assert!(!everything.contains("alpha-value") && !everything.contains("beta-value"));
    // The API shows names only.
    let shown = serde_json::to_string(&block_on(world.tenant().get_action(&a)).unwrap()).unwrap();
    assert!(shown.contains("API_KEY") && !shown.contains("alpha-value"));
}

#[test]
fn nothing_bound_costs_nothing_once_remembered_and_an_unreachable_runner_fails_closed() {
    let mut world = World::new();
    let app = granted_app(&world);
    let runner = ScriptedRunner::default();
    grant_with(&world, &runner, &app).unwrap();
    world.store.reset_counts();
    grant_with(&world, &runner, &app).unwrap();
    assert_eq!(
        world.store.counts().reads,
        2,
        "{:?}",
        world.store.keys_read()
    );
    assert!(runner.runs.borrow().is_empty());

    let id = deployed(
        &world,
        TriggerId::CredentialsExchange,
        "Any",
        json!({}),
        &[],
    );
    bind(&world, TriggerId::CredentialsExchange, &[&id]);
    world.cold_isolate();
    runner.unreachable.set(true);
    match grant_with(&world, &runner, &app) {
        Err(err) => assert_eq!(err.status(), 503),
        Ok(claims) => panic!("a bound action must run; got a token {claims}"),
    }
}

#[test]
fn deploying_makes_numbered_versions_and_rolling_back_deploys_a_copy() {
    let world = World::new();
    let app = granted_app(&world);
    let runner = ScriptedRunner::default();
    let tenant = world.tenant();
    let v1 = json!({"commands": [claim("https://x/v", json!(1))]});
    let id = deployed(&world, TriggerId::CredentialsExchange, "Versioned", v1, &[]);
    bind(&world, TriggerId::CredentialsExchange, &[&id]);
    let action = block_on(tenant.update_action(
        &id,
        ActionUpdate {
            code: Some(json!({"commands": [claim("https://x/v", json!(2))]}).to_string()),
            ..Default::default()
        },
    ))
    .unwrap();
    assert!(!action.all_changes_deployed);
    assert_eq!(
        grant_with(&world, &runner, &app).unwrap()["https://x/v"],
        1,
        "the draft is not run"
    );
    let second = block_on(tenant.deploy_action(&id)).unwrap();
    assert_eq!(second.number, 2);
    assert_eq!(grant_with(&world, &runner, &app).unwrap()["https://x/v"], 2);
    let versions = block_on(tenant.list_action_versions(&id, &[])).unwrap();
    assert_eq!(versions["total"], 2);
    let first_id = versions["versions"][1]["id"].as_str().unwrap().to_string();
    assert_eq!(versions["versions"][1]["deployed"], false);
    let third = block_on(tenant.roll_back_action(&id, &first_id, false)).unwrap();
    assert_eq!(third.number, 3);
    assert_eq!(grant_with(&world, &runner, &app).unwrap()["https://x/v"], 1);
    assert_eq!(
        block_on(tenant.get_action(&id))
            .unwrap()
            .deployed_version
            .unwrap()
            .number,
        3
    );
}

#[test]
fn code_that_does_not_load_is_not_deployed_and_a_deployed_action_keeps_its_trigger() {
    let world = World::new();
    let app = granted_app(&world);
    let runner = ScriptedRunner::default();
    let tenant = world.tenant().with_runner(&runner);
    let good = json!({"commands": [claim("https://x/v", json!("good"))]});
    let id = deployed(&world, TriggerId::CredentialsExchange, "Checked", good, &[]);
    bind(&world, TriggerId::CredentialsExchange, &[&id]);

    // A draft that does not load (the runner says why) is refused at
    // deploy, and the deployed version goes on running.
    block_on(tenant.update_action(
        &id,
        ActionUpdate {
            code: Some(json!({"load_error": "SyntaxError: Unexpected end of input"}).to_string()),
            ..Default::default()
        },
    ))
    .unwrap();
    let refused = block_on(tenant.deploy_action(&id)).unwrap_err();
    assert_eq!(refused.status(), 400);
    assert!(
        refused
            .to_string()
            .contains("SyntaxError: Unexpected end of input"),
        "{refused}"
    );
    let check = runner.runs.borrow().last().cloned().unwrap();
    assert!(check.check, "a check, not a run");
    assert_eq!(check.event, Value::Null, "no event, no secrets");
    assert!(check.allowed_hosts.is_empty());
    let action = block_on(tenant.get_action(&id)).unwrap();
    assert_eq!(action.deployed_version.unwrap().number, 1);
    assert_eq!(
        grant_with(&world, &runner, &app).unwrap()["https://x/v"],
        "good"
    );

    // Created and deployed at once: nothing is created.
    let created = block_on(
        tenant.create_action(ActionCreate {
            name: "Broken from the start".into(),
            supported_triggers: triggers(TriggerId::CredentialsExchange),
            code: Some(
                json!({"load_error": "The action does not export onExecuteCredentialsExchange"})
                    .to_string(),
            ),
            deploy: Some(true),
            ..Default::default()
        }),
    );
    assert_eq!(created.unwrap_err().status(), 400);
    let listed = block_on(tenant.list_actions(&[])).unwrap();
    assert_eq!(listed["total"], 1);

    // A deployed action's versions were built for its trigger: it keeps it,
    // bound or not.
    bind(&world, TriggerId::CredentialsExchange, &[]);
    let moved = block_on(tenant.update_action(
        &id,
        ActionUpdate {
            supported_triggers: Some(triggers(TriggerId::PostLogin)),
            ..Default::default()
        },
    ));
    assert_eq!(moved.unwrap_err().status(), 400);
}

#[test]
fn the_management_api_refuses_what_cannot_run_and_writes_nothing() {
    let world = World::new();
    let before = world.snapshot();
    let create = |request: ActionCreate| block_on(world.tenant().create_action(request));
    let base = || ActionCreate {
        name: "Check".into(),
        supported_triggers: triggers(TriggerId::CredentialsExchange),
        ..Default::default()
    };
    for (request, field) in [
        (
            ActionCreate {
                dependencies: Some(vec![Dependency {
                    name: "axios".into(),
                    version: "1".into(),
                    registry_url: None,
                }]),
                ..base()
            },
            "dependencies",
        ),
        (
            ActionCreate {
                code: Some("x".repeat(100 * 1024 + 1)),
                ..base()
            },
            "code",
        ),
        (
            ActionCreate {
                supported_triggers: vec![SupportedTrigger {
                    id: "pre-user-registration".into(),
                    version: "v2".into(),
                }],
                ..base()
            },
            "supported_triggers",
        ),
        (
            ActionCreate {
                runtime: Some("node12".into()),
                ..base()
            },
            "runtime",
        ),
        (
            ActionCreate {
                secrets: Some(vec![SecretInput {
                    name: "bad name".into(),
                    value: Some("v".into()),
                }]),
                ..base()
            },
            "secrets",
        ),
    ] {
        match create(request) {
            Err(Error::Invalid(invalid)) => assert_eq!(invalid.field.as_deref(), Some(field)),
            other => panic!("{field}: expected a validation error, got {other:?}"),
        }
    }
    assert_eq!(world.snapshot(), before);

    // Bindings take deployed actions of the trigger only.
    let draft = create(base()).unwrap();
    let refused = block_on(world.tenant().update_bindings(
        "credentials-exchange",
        BindingsUpdate {
            bindings: vec![BindingInput {
                reference: BindingRef {
                    kind: "action_name".into(),
                    value: "Check".into(),
                },
                display_name: None,
                secrets: None,
            }],
        },
    ));
    assert_eq!(refused.unwrap_err().status(), 400);
    let post_login = deployed(&world, TriggerId::PostLogin, "Login", json!({}), &[]);
    let wrong = block_on(world.tenant().update_bindings(
        "credentials-exchange",
        BindingsUpdate {
            bindings: vec![BindingInput {
                reference: BindingRef {
                    kind: "action_id".into(),
                    value: post_login.clone(),
                },
                display_name: None,
                secrets: None,
            }],
        },
    ));
    assert_eq!(wrong.unwrap_err().status(), 400);
    // A bound action is deleted only with force, which unbinds it.
    bind(&world, TriggerId::PostLogin, &[&post_login]);
    assert_eq!(
        block_on(world.tenant().delete_action(&post_login, false))
            .unwrap_err()
            .status(),
        409
    );
    block_on(world.tenant().delete_action(&post_login, true)).unwrap();
    let listed = block_on(world.tenant().list_bindings("post-login")).unwrap();
    assert_eq!(listed["total"], 0);
    assert!(!world.store.snapshot().contains_key("trigger/post-login"));
    block_on(world.tenant().delete_action(&draft.id, false)).unwrap();
}

#[test]
fn a_test_runs_the_draft_with_its_secrets_and_records_nothing() {
    let world = World::new();
    let runner = ScriptedRunner::default();
    let tenant = world.tenant().with_runner(&runner);
    let action =
        block_on(
            tenant.create_action(ActionCreate {
                name: "Draft".into(),
                supported_triggers: triggers(TriggerId::CredentialsExchange),
                code: Some(
                    json!({"commands": [claim("https://x/t", json!(true))], "logs": ["ran"]})
                        .to_string(),
                ),
                secrets: Some(vec![SecretInput {
                    name: "KEY".into(),
                    value: Some("v".into()),
                }]),
                ..Default::default()
            }),
        )
        .unwrap();
    let result = block_on(tenant.test_action(
        &action.id,
        ActionTest {
            payload: json!({"client": {"client_id": "abc"}}),
        },
    ))
    .unwrap();
    assert_eq!(result["payload"]["commands"][0]["name"], "https://x/t");
    assert_eq!(result["payload"]["logs"], json!(["ran"]));
    let run: RunRequest = runner.runs.borrow()[0].clone();
    assert_eq!(run.event["secrets"]["KEY"], "v");
    assert_eq!(run.event["client"]["client_id"], "abc");
    assert!(world.db.snapshot()["action_executions"].is_empty());
    let _ = tenant.take_deferred();
}

mod post_login {
    use super::*;
    use crate::tests::people::{self, claims, param, query, response, EMAIL};

    fn id_claim(name: &str, value: Value) -> Value {
        json!({"op": "id_token_claim", "name": name, "value": value})
    }

    #[test]
    fn a_sign_in_gets_claims_from_post_login_actions_or_is_denied() {
        let world = World::new();
        let runner = ScriptedRunner::default();
        people::create_api(&world, false);
        people::create_user(&world, EMAIL);
        let client_id = people::create_spa(&world);
        let id = deployed(
            &world,
            TriggerId::PostLogin,
            "Roles",
            json!({"commands": [
                id_claim("https://example.com/roles", json!(["admin"])),
                id_claim("email", json!("spoofed@example.com")),
                claim("https://example.com/plan", json!("pro")),
            ]}),
            &[],
        );
        bind(&world, TriggerId::PostLogin, &[&id]);
        let q = query(&client_id, &[]);
        let tenant = world.tenant().with_runner(&runner);
        let result = block_on(tenant.login(&q, EMAIL, people::PASSWORD)).unwrap();
        let _ = tenant.take_deferred();
        let answer = response(Ok(result.outcome));
        let id_token = claims(param(&answer, "id_token").unwrap());
        assert_eq!(id_token["https://example.com/roles"], json!(["admin"]));
        assert_eq!(
            id_token["email"], EMAIL,
            "an action cannot replace the person's claims"
        );
        assert_eq!(
            claims(param(&answer, "access_token").unwrap())["https://example.com/plan"],
            "pro"
        );
        let event = runner.runs.borrow()[0].event.clone();
        assert_eq!(event["user"]["email"], EMAIL);
        assert_eq!(event["transaction"]["redirect_uri"], people::CALLBACK);

        let deny = deployed(
            &world,
            TriggerId::PostLogin,
            "Deny",
            json!({"commands": [{"op": "deny", "reason": "Closed on Sundays"}]}),
            &[],
        );
        bind(&world, TriggerId::PostLogin, &[&deny]);
        let tenant = world.tenant().with_runner(&runner);
        let result = block_on(tenant.login(&q, EMAIL, people::PASSWORD)).unwrap();
        let _ = tenant.take_deferred();
        let answer = response(Ok(result.outcome));
        assert_eq!(param(&answer, "error"), Some("access_denied"));
        assert_eq!(
            param(&answer, "error_description"),
            Some("Closed on Sundays")
        );
        assert!(param(&answer, "id_token").is_none());
    }
}
