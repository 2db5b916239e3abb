//! The edge's read model: what a location that has not yet seen a write
//! does to it, how a lost projection converges, and how the read model is
//! rebuilt from the system of record.

use std::cell::RefCell;
use std::collections::BTreeMap;

use shared::management::{ClientUpdate, TenantSettingsUpdate};

use crate::error::{OAuthErrorCode, Result};
use crate::management::clients::ClientRecord;
use crate::records::read_model::SETTLE_SECONDS;
use crate::seams::store::{KeyPage, MemoryStore, Store};
use crate::testing::{block_on, World};

use super::machines::*;

/// Workers KV as another location sees it within its propagation delay:
/// reads answer from what it last saw (a snapshot), writes reach the
/// namespace (and this location's own later reads).
struct StaleLocation<'a> {
    live: &'a MemoryStore,
    seen: RefCell<BTreeMap<String, String>>,
}

impl<'a> StaleLocation<'a> {
    fn as_of_now(live: &'a MemoryStore) -> Self {
        Self {
            live,
            seen: RefCell::new(live.snapshot()),
        }
    }
}

impl Store for StaleLocation<'_> {
    async fn get(&self, key: &str) -> Result<Option<String>> {
        Ok(self.seen.borrow().get(key).cloned())
    }

    async fn put(&self, key: &str, value: &str) -> Result<()> {
        self.seen.borrow_mut().insert(key.into(), value.into());
        self.live.put(key, value).await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.seen.borrow_mut().remove(key);
        self.live.delete(key).await
    }

    async fn list(&self, prefix: &str, _cursor: Option<&str>) -> Result<KeyPage> {
        Ok(KeyPage {
            keys: self
                .seen
                .borrow()
                .keys()
                .filter(|k| k.starts_with(prefix))
                .cloned()
                .collect(),
            cursor: None,
        })
    }
}

/// How a PATCH was made when KV held the records themselves: read the
/// client where the request lands, change it, write it back. The model of
/// the earlier design the next test measures against.
fn kv_read_modify_write(store: &impl Store, client_id: &str, description: &str) {
    let key = crate::management::clients::key(client_id);
    let raw = block_on(store.get(&key)).unwrap().unwrap();
    let mut record: ClientRecord = serde_json::from_str(&raw).unwrap();
    record.description = description.into();
    block_on(store.put(&key, &serde_json::to_string(&record).unwrap())).unwrap();
}

#[test]
fn a_patch_where_kv_is_stale_loses_a_rotation_under_read_modify_write_and_keeps_it_now() {
    for kv_only in [true, false] {
        let world = World::new();
        let app = granted_app(&world);
        block_on(world.tenant().update_tenant_settings(TenantSettingsUpdate {
            client_secret_rotation_grace_period: Some(0),
            ..Default::default()
        }))
        .unwrap();
        // Another location, whose KV has not yet seen what follows.
        let elsewhere = StaleLocation::as_of_now(&world.store);
        // Here: the secret leaked, so the admin rotates it, no grace.
        let rotated = block_on(world.tenant().rotate_client_secret(&app.client_id, None))
            .unwrap()
            .client_secret
            .unwrap();
        // There, within the propagation delay: a PATCH of the description.
        if kv_only {
            kv_read_modify_write(&elsewhere, &app.client_id, "patched elsewhere");
        } else {
            let tenant = crate::Tenant::new(
                &elsewhere,
                &world.db,
                &world.crypto,
                &world.clock,
                &world.rng,
                &world.cache,
                &world.config,
            );
            block_on(tenant.update_client(
                &app.client_id,
                ClientUpdate {
                    description: Some("patched elsewhere".into()),
                    ..Default::default()
                },
                false,
            ))
            .unwrap();
        }
        let leaked = request_token(&world, &app, &[("audience", API)]);
        let new = App {
            client_id: app.client_id.clone(),
            client_secret: rotated.clone(),
        };
        let fresh = request_token(&world, &new, &[("audience", API)]);
        if kv_only {
            // The stale copy written back undid the rotation.
            assert!(leaked.is_ok(), "the rotated-away secret works again");
            assert_oauth_error(fresh, 401, OAuthErrorCode::InvalidClient);
        } else {
            assert_oauth_error(leaked, 401, OAuthErrorCode::InvalidClient);
            assert!(fresh.is_ok(), "{fresh:?}");
            let stored = block_on(world.tenant().get_client(&app.client_id)).unwrap();
            assert_eq!(
                stored.description, "patched elsewhere",
                "and the PATCH is kept too"
            );
        }
    }
}

#[test]
fn a_lost_projection_is_put_right_by_the_scheduled_task_once_settled() {
    let world = World::new();
    let app = granted_app(&world);
    let key = crate::management::clients::key(&app.client_id);
    let projected = world.store.snapshot()[&key].clone();
    // The projection write of a rotation is lost (the KV write failed or
    // an older one overtook it): the edge still has the old record.
    let rotated = block_on(world.tenant().rotate_client_secret(&app.client_id, Some(0)))
        .unwrap()
        .client_secret
        .unwrap();
    block_on(world.store.put(&key, &projected)).unwrap();
    let new = App {
        client_id: app.client_id.clone(),
        client_secret: rotated,
    };
    assert!(request_token(&world, &new, &[("audience", API)]).is_err());

    // Not yet settled: the scheduled task leaves it for a later run.
    let (done, failure) = block_on(world.tenant().maintain());
    assert!(failure.is_none(), "{failure:?}");
    assert_eq!(done.projected, 0);
    world.clock.advance(SETTLE_SECONDS);
    let (done, _) = block_on(world.tenant().maintain());
    assert!(done.projected >= 1, "{done:?}");
    assert!(request_token(&world, &new, &[("audience", API)]).is_ok());
    // Each change is projected again once, then forgotten (the grant just
    // made created a signing key, which settles in turn).
    world.clock.advance(SETTLE_SECONDS);
    block_on(world.tenant().maintain());
    assert_eq!(world.db.count("read_model_changes"), 0);
    let (done, _) = block_on(world.tenant().maintain());
    assert_eq!(done.projected, 0);
}

#[test]
fn the_read_model_is_rebuilt_from_the_database_by_the_rebuild_command() {
    let world = World::new();
    let app = granted_app(&world);
    let deleted = create_m2m_app(&world, None);
    // The read model is lost entirely, and a stale entry of a client whose
    // deletion never reached KV lingers.
    let lingering = crate::management::clients::key(&deleted.client_id);
    let lingering_value = world.store.snapshot()[&lingering].clone();
    block_on(world.tenant().delete_client(&deleted.client_id)).unwrap();
    for key in world.store.snapshot().keys() {
        block_on(world.store.delete(key)).unwrap();
    }
    block_on(world.store.put(&lingering, &lingering_value)).unwrap();
    assert!(request_token(&world, &app, &[("audience", API)]).is_err());

    // `scripts/read-model.sh rebuild`: this SQL, with the keys KV holds.
    world
        .db
        .execute(include_str!("../../../scripts/rebuild-read-model.sql"));
    world.db.execute(&format!(
        "INSERT INTO read_model_changes (key, changed_at) VALUES ('{lingering}', 0) \
         ON CONFLICT (key) DO UPDATE SET changed_at = 0, generation = generation + 1"
    ));
    let (done, failure) = block_on(world.tenant().maintain());
    assert!(failure.is_none(), "{failure:?}");
    assert!(done.projected >= 3, "{done:?}");
    assert!(!world.store.snapshot().contains_key(&lingering));
    assert_eq!(world.db.count("read_model_changes"), 0);
    assert!(request_token(&world, &app, &[("audience", API)]).is_ok());
}
