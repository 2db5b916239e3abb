//! The audit log: paging, checkpoints and bounded listings.

use serde_json::Value;

use crate::testing::{block_on, World, BOOTSTRAP_ID, NOW};

use super::machines::*;

#[test]
fn the_log_pages_newest_first_and_reads_on_from_a_checkpoint_oldest_first() {
    let world = World::new();
    let mut ids = Vec::new();
    for i in 0..5 {
        let event = block_on(from_ip(&world, "192.0.2.9").log(
            crate::management::logs::NewEvent::api_operation(
                crate::management::logs::actor(shared::protocol::ActorKind::Client, BOOTSTRAP_ID),
                Some(BOOTSTRAP_ID.into()),
                "Create a client",
                crate::management::logs::target("client", Some(&format!("client{i}"))),
                &crate::Caller {
                    method: "POST".into(),
                    path: "/api/v2/clients".into(),
                    ..Default::default()
                },
            ),
        ))
        .unwrap();
        ids.push(event.log_id);
        world.clock.advance(1);
    }
    let list = |query: &str| {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
        block_on(
            world
                .tenant()
                .list_logs(&crate::management::logs::LogQuery::from_query(&pairs).unwrap()),
        )
        .unwrap()
    };
    let ids_of = |value: &Value| -> Vec<String> {
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["log_id"].as_str().unwrap().to_string())
            .collect()
    };
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    assert_eq!(ids_of(&list("")), newest_first);
    assert_eq!(
        ids_of(&list("page=1&per_page=2")),
        newest_first[2..4].to_vec()
    );
    let with_totals = list("page=2&per_page=2&include_totals=true");
    assert_eq!(ids_of(&with_totals["logs"]), newest_first[4..].to_vec());
    assert_eq!(
        (with_totals["total"].as_u64(), with_totals["start"].as_u64()),
        (Some(5), Some(4))
    );
    assert_eq!(
        ids_of(&list(&format!("from={}&take=2", ids[1]))),
        ids[2..4].to_vec()
    );
    assert_eq!(
        ids_of(&list(&format!("from={}", ids[4]))),
        Vec::<String>::new()
    );

    let event = block_on(world.tenant().get_log(&ids[0])).unwrap();
    assert_eq!(event.details.target.unwrap().id.as_deref(), Some("client0"));
    assert_eq!(event.ip.as_deref(), Some("192.0.2.9"));
    assert_eq!(event.date, crate::seams::clock::rfc3339(NOW));
    assert!(
        ids.windows(2).all(|pair| pair[0] < pair[1]),
        "later events have greater ids"
    );
    let missing = format!("{}{}", &ids[0][..13], "Z".repeat(13));
    assert_eq!(
        block_on(world.tenant().get_log(&missing))
            .unwrap_err()
            .status(),
        404
    );
    assert_eq!(
        block_on(world.tenant().get_log("../clients"))
            .unwrap_err()
            .status(),
        404
    );
}

/// Fills the log with `count` events straight in SQL, one a second back
/// from `NOW`: every tenth a failed login of one user, the rest
/// Management calls of the bootstrap client.
fn fill_log(world: &World, count: u64) {
    world.db.execute(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) \
         INSERT INTO logs (log_id, type, user_id, client_id, doc) \
         SELECT id, type, user_id, client_id, json_object( \
             'log_id', id, 'date', '2026-01-01T00:00:00.000Z', 'type', type, 'description', 'seeded', \
             'details', json_object('actor', json_object('type', 'client', 'id', '{BOOTSTRAP_ID}'))) \
         FROM (SELECT printf('%013d%013d', ({NOW} - i) * 1000, i) AS id, \
                      CASE WHEN i % 10 = 0 THEN 'f' ELSE 'sapi' END AS type, \
                      CASE WHEN i % 10 = 0 THEN 'auth0|00000000000000000000000a' END AS user_id, \
                      CASE WHEN i % 10 = 0 THEN NULL ELSE '{BOOTSTRAP_ID}' END AS client_id FROM n)"
    ));
}

#[test]
fn log_listings_are_two_queries_at_any_depth_and_with_any_filter() {
    use crate::management::logs::{LogQuery, MAX_PAGED_EVENTS};
    let world = World::new();
    fill_log(&world, 20_000);
    let list = |query: &str| {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
        world.db.reset_count();
        let listed = block_on(
            world
                .tenant()
                .list_logs(&LogQuery::from_query(&pairs).unwrap()),
        );
        assert!(
            world.db.statements() <= 2,
            "{query}: {} statements",
            world.db.statements()
        );
        listed.unwrap()
    };

    // The total counts only what pages can reach.
    let totals = list("per_page=5&include_totals=true");
    assert_eq!(totals["total"].as_u64(), Some(MAX_PAGED_EVENTS));
    assert_eq!(totals["logs"].as_array().unwrap().len(), 5);

    // A checkpoint older than every event reads on, oldest first, however
    // far behind it is.
    let oldest_possible = "0".repeat(26);
    let read = list(&format!("from={oldest_possible}&take=3"));
    let ids: Vec<&str> = read
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["log_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(
        ids[0].starts_with(&format!("{:013}", (NOW - 20_000) * 1000)),
        "{ids:?}"
    );
    assert!(ids.windows(2).all(|w| w[0] < w[1]));

    // Searches by type, user, client and date, with either paging.
    let failed = list("q=type:f&include_totals=true&per_page=100");
    assert_eq!(failed["total"].as_u64(), Some(MAX_PAGED_EVENTS));
    assert!(failed["logs"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["type"] == "f"));
    let of_user = list(&format!(
        "q=user_id:\"auth0|00000000000000000000000a\" AND type:f&from={oldest_possible}&take=100"
    ));
    assert_eq!(of_user.as_array().unwrap().len(), 100);
    let of_client = list(&format!("q=client_id:{BOOTSTRAP_ID}&per_page=3"));
    assert!(of_client
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["type"] == "sapi"));
    // Ten seconds of the log, both ends included: ten events.
    let since = crate::seams::clock::rfc3339(NOW - 19_990);
    let until = crate::seams::clock::rfc3339(NOW - 19_981);
    let window = list(&format!(
        "q={}&include_totals=true",
        percent_encoding::utf8_percent_encode(
            &format!("date:[{since} TO {until}]"),
            percent_encoding::NON_ALPHANUMERIC
        )
    ));
    assert_eq!(window["total"].as_u64(), Some(10), "{window}");
}

#[test]
fn the_scheduled_task_deletes_events_older_than_thirty_days() {
    use crate::management::logs::RETENTION_SECONDS;
    let world = World::new();
    fill_log(&world, 100);
    world.clock.advance(RETENTION_SECONDS - 50);
    // The 50 events older than 30 days go; the 50 younger stay.
    assert_eq!(block_on(world.tenant().delete_expired_logs()).unwrap(), 50);
    assert_eq!(block_on(world.tenant().delete_expired_logs()).unwrap(), 0);
    assert_eq!(world.audit_log().len(), 50);
}
