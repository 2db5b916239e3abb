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

#[test]
fn log_listings_stay_bounded_however_long_the_log_grows() {
    use crate::management::logs::{LogQuery, MAX_CHECKPOINT_LAG, MAX_PAGED_EVENTS};
    let world = World::new();
    let log_one = || {
        block_on(
            world
                .tenant()
                .log(crate::management::logs::NewEvent::api_operation(
                    crate::management::logs::actor(
                        shared::protocol::ActorKind::Client,
                        BOOTSTRAP_ID,
                    ),
                    Some(BOOTSTRAP_ID.into()),
                    "Update tenant settings",
                    crate::management::logs::target("tenant", None),
                    &crate::Caller {
                        method: "PATCH".into(),
                        path: "/api/v2/tenants/settings".into(),
                        ..Default::default()
                    },
                )),
        )
        .unwrap()
    };
    for _ in 0..MAX_CHECKPOINT_LAG {
        log_one();
    }
    let list = |query: &str| {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
        block_on(
            world
                .tenant()
                .list_logs(&LogQuery::from_query(&pairs).unwrap()),
        )
    };

    // The total counts only what pages can reach, in a bounded listing.
    let lists = world.store.counts().lists;
    let totals = list("per_page=5&include_totals=true").unwrap();
    assert_eq!(totals["total"].as_u64(), Some(MAX_PAGED_EVENTS));
    let page_size = crate::seams::store::MemoryStore::PAGE_SIZE as u64;
    assert!(world.store.counts().lists - lists <= MAX_PAGED_EVENTS / page_size + 1);

    // A checkpoint older than every event: readable while it is at most
    // MAX_CHECKPOINT_LAG events behind, then a clear 400, never a scan of
    // the whole log.
    let oldest_possible = "0000000000000".to_string() + &"0".repeat(13);
    let read = list(&format!("from={oldest_possible}&take=3")).unwrap();
    assert_eq!(read.as_array().unwrap().len(), 3);
    log_one();
    let lists = world.store.counts().lists;
    let refused = list(&format!("from={oldest_possible}&take=3")).unwrap_err();
    assert!(
        matches!(&refused, e if e.status() == 400 && e.description().contains("behind the newest")),
        "{refused:?}"
    );
    assert!(world.store.counts().lists - lists <= (MAX_CHECKPOINT_LAG as u64 + 1) / page_size + 1);
}
