//! Tenant settings (`/api/v2/tenants/settings`): one record, merged by PATCH.

use serde::{Deserialize, Serialize};
use shared::management::{TenantFlags, TenantSettings, TenantSettingsUpdate};

use crate::error::{Error, Result};
use crate::management::resource_servers::MAX_IDENTIFIER_LEN;
use crate::primitives::text::check_text;
use crate::seams::crypto::CryptoBackend;
use crate::seams::store::{self, Store};
use crate::Tenant;

const KEY: &str = "tenant_settings";
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
        }
    }
}

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

impl<S: Store, K: CryptoBackend> Tenant<'_, S, K> {
    /// The settings, defaults when none were ever saved (one store read).
    pub async fn settings(&self) -> Result<TenantSettingsRecord> {
        Ok(store::get_json(self.store, KEY).await?.unwrap_or_default())
    }

    pub async fn get_tenant_settings(&self) -> Result<TenantSettings> {
        Ok(self.settings().await?.to_dto())
    }

    /// Merges a PATCH: absent members keep their values.
    pub async fn update_tenant_settings(
        &self,
        update: TenantSettingsUpdate,
    ) -> Result<TenantSettings> {
        let mut record = self.settings().await?;
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
        if let Some(grace) = update.client_secret_rotation_grace_period {
            record.client_secret_rotation_grace_period =
                check_grace_period("client_secret_rotation_grace_period", grace)?;
        }
        store::put_json(self.store, KEY, &record).await?;
        Ok(record.to_dto())
    }
}
