//! Tenant settings (`/api/v2/tenants/settings`): one row, merged by PATCH
//! over the version it read.

use std::rc::Rc;

use serde::{Deserialize, Serialize};
use shared::management::{TenantFlags, TenantSettings, TenantSettingsUpdate};

use crate::error::{Error, Result};
use crate::management::resource_servers::MAX_IDENTIFIER_LEN;
use crate::primitives::text::check_text;
use crate::records::{Projection, Stored};
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::{Database, Statement};
use crate::seams::store::{self, Store};
use crate::Tenant;

/// How long isolate memory keeps the edge's copy of the settings, as it
/// keeps an API's.
pub const SETTINGS_TTL_SECONDS: u64 =
    crate::management::resource_servers::RESOURCE_SERVER_TTL_SECONDS;

/// Longest grace period a rotated-out secret may keep working: a week.
pub const MAX_GRACE_PERIOD: u64 = 7 * 24 * 3600;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TenantSettingsRecord {
    pub friendly_name: String,
    pub support_email: String,
    pub enable_dynamic_client_registration: bool,
    pub client_secret_rotation_grace_period: u64,
    pub default_audience: String,
    pub disable_signup: bool,
    pub allow_organization_name_in_authentication_api: bool,
    pub actions_allowed_hosts: Vec<String>,
}

impl TenantSettingsRecord {
    fn to_dto(&self) -> TenantSettings {
        TenantSettings {
            friendly_name: self.friendly_name.clone(),
            support_email: self.support_email.clone(),
            flags: TenantFlags {
                enable_dynamic_client_registration: self.enable_dynamic_client_registration,
                disable_signup: self.disable_signup,
            },
            client_secret_rotation_grace_period: self.client_secret_rotation_grace_period,
            default_audience: self.default_audience.clone(),
            allow_organization_name_in_authentication_api: self
                .allow_organization_name_in_authentication_api,
            actions_allowed_hosts: self.actions_allowed_hosts.clone(),
        }
    }
}

impl Stored for TenantSettingsRecord {
    const SELECT: &'static str = "SELECT doc, version FROM tenant_settings WHERE id = ?1";
    const KIND: &'static str = "tenant settings";

    fn update(&self, version: i64) -> Statement {
        Statement::new(
            "UPDATE tenant_settings SET doc = ?1, version = version + 1 \
             WHERE id = 1 AND version = ?2 RETURNING version",
        )
        .bind(crate::seams::database::doc(self))
        .bind(version)
    }

    /// Read from the system of record where they are used; the token
    /// endpoint reads the edge's copy, and only when a request names an
    /// organization ([`Tenant::organization_names_in_tokens`]).
    fn projections(&self) -> Vec<Projection> {
        vec![Projection::TenantSettings]
    }
}

/// The one row's id, as [`Stored::SELECT`] binds it.
const ROW: &str = "1";

/// A grace period from a request, within bounds.
pub fn check_grace_period(field: &str, seconds: u64) -> Result<u64> {
    if seconds > MAX_GRACE_PERIOD {
        return Err(Error::invalid_field(
            field,
            format!("must be at most {MAX_GRACE_PERIOD} seconds"),
        ));
    }
    Ok(seconds)
}

fn check_email(email: &str) -> Result<()> {
    let valid = email.is_empty()
        || (email.len() <= 254
            && email
                .split_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
            && !email.chars().any(|c| c.is_whitespace() || c.is_control()));
    if !valid {
        return Err(Error::invalid_field(
            "support_email",
            "must be an email address",
        ));
    }
    Ok(())
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// The settings (one query; the defaults until changed).
    pub async fn settings(&self) -> Result<TenantSettingsRecord> {
        Ok(self
            .versioned::<TenantSettingsRecord>(ROW)
            .await?
            .map(|(record, _)| record)
            .unwrap_or_default())
    }

    /// The settings as the edge's hot paths read them: from isolate memory,
    /// else the edge's copy, so a change is seen within
    /// [`SETTINGS_TTL_SECONDS`] plus KV's propagation. Read only by what
    /// needs them (an organization's name, actions' allowed hosts).
    pub(crate) async fn edge_settings(&self) -> Result<Rc<TenantSettingsRecord>> {
        let now = self.clock.now();
        if let Some(settings) = self
            .cache
            .tenant_settings::<TenantSettingsRecord>(now, SETTINGS_TTL_SECONDS)
        {
            return Ok(settings);
        }
        let settings: TenantSettingsRecord =
            store::get_json(self.store, &Projection::TenantSettings.key())
                .await?
                .unwrap_or_default();
        let settings = Rc::new(settings);
        self.cache.set_tenant_settings(now, settings.clone());
        Ok(settings)
    }

    /// Whether tokens name an organization by its name as well as its id
    /// (`allow_organization_name_in_authentication_api`), as the token
    /// endpoint sees it ([`Self::edge_settings`]).
    pub(crate) async fn organization_names_in_tokens(&self) -> Result<bool> {
        Ok(self
            .edge_settings()
            .await?
            .allow_organization_name_in_authentication_api)
    }

    pub async fn get_tenant_settings(&self) -> Result<TenantSettings> {
        Ok(self.settings().await?.to_dto())
    }

    /// Merges a PATCH: absent members keep their values.
    pub async fn update_tenant_settings(
        &self,
        update: TenantSettingsUpdate,
    ) -> Result<TenantSettings> {
        let missing = || Error::unavailable("the tenant_settings row is missing");
        let (record, ()) = self
            .modify(ROW, missing, |record| apply(record, &update))
            .await?;
        // This isolate sees the change at once; others within the TTL.
        self.cache
            .set_tenant_settings(self.clock.now(), Rc::new(record.clone()));
        Ok(record.to_dto())
    }
}

/// Most hosts actions may be allowed to reach.
pub const MAX_ALLOWED_HOSTS: usize = 20;

/// Hosts as actions' outbound gate compares them: a lower-case DNS name or
/// IP address, optionally with a port, or `*.` and a domain (any name below
/// it, never the domain itself).
fn check_allowed_hosts(hosts: Vec<String>) -> Result<Vec<String>> {
    if hosts.len() > MAX_ALLOWED_HOSTS {
        return Err(Error::invalid_field(
            "actions_allowed_hosts",
            format!("may hold at most {MAX_ALLOWED_HOSTS} hosts"),
        ));
    }
    for host in &hosts {
        let (name, port) = match host.rsplit_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host.as_str(), None),
        };
        let name = name.strip_prefix("*.").unwrap_or(name);
        let valid_name = !name.is_empty()
            && name.len() <= 253
            && name.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            });
        let valid_port = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
        if !valid_name || !valid_port {
            return Err(Error::invalid_field(
                "actions_allowed_hosts",
                format!(
                    "'{}' is not a lower-case host, host:port or *.domain",
                    crate::error::echo(host)
                ),
            ));
        }
    }
    Ok(hosts)
}

fn apply(record: &mut TenantSettingsRecord, update: &TenantSettingsUpdate) -> Result<()> {
    let update = update.clone();
    if let Some(name) = update.friendly_name {
        check_text("friendly_name", &name, 0, 255)?;
        record.friendly_name = name;
    }
    if let Some(email) = update.support_email {
        check_email(&email)?;
        record.support_email = email;
    }
    if let Some(flags) = update.flags {
        if let Some(flag) = flags.enable_dynamic_client_registration {
            record.enable_dynamic_client_registration = flag;
        }
        if let Some(flag) = flags.disable_signup {
            record.disable_signup = flag;
        }
    }
    if let Some(audience) = update.default_audience {
        // Any API identifier, or empty for none; an unknown API is
        // reported when a sign-in uses it, as Auth0 does.
        check_text("default_audience", &audience, 0, MAX_IDENTIFIER_LEN)?;
        record.default_audience = audience;
    }
    if let Some(allowed) = update.allow_organization_name_in_authentication_api {
        record.allow_organization_name_in_authentication_api = allowed;
    }
    if let Some(hosts) = update.actions_allowed_hosts {
        record.actions_allowed_hosts = check_allowed_hosts(hosts)?;
    }
    if let Some(grace) = update.client_secret_rotation_grace_period {
        record.client_secret_rotation_grace_period =
            check_grace_period("client_secret_rotation_grace_period", grace)?;
    }
    Ok(())
}
