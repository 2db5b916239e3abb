//! Organizations (Auth0's Organizations): the customers a tenant serves.
//!
//! Stored in `organizations`, one row per organization with its unique
//! `name`; which client grants may act for it in
//! `organization_client_grants` ([`client_grants`]) and who may sign in to
//! it in `organization_members` ([`members`]). The token endpoint finds an
//! organization by what a request calls it, its id or its name, so each is
//! projected twice, to `organization/{id}` and `organization_name/{name}`,
//! each entry holding the organization and the ids of the grants linked to
//! it: one KV read answers both "does it exist" and "may this grant act for
//! it" ([`access`]). Members are read only at sign-in, from the system of
//! record.

pub mod access;
pub mod client_grants;
pub mod members;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use shared::organizations::{
    Organization, OrganizationBranding, OrganizationCreate, OrganizationUpdate,
};

use crate::error::{echo, Error, ManagementErrorCode, Result};
use crate::management::{checkpoint_json, Listing, Pagination};
use crate::primitives::text::check_text;
use crate::records::{Projection, Stored};
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::{self, Database, Statement};
use crate::seams::random;
use crate::seams::store::{self, Store};
use crate::Tenant;

/// Every organization id: `org_` and 16 letters and digits. No name may
/// begin with it, so a request's `organization` is an id or a name, never
/// both.
pub const ID_PREFIX: &str = "org_";
const ID_RANDOM_LEN: usize = 16;
/// Auth0's bounds.
pub const MAX_NAME_LEN: usize = 50;
pub const MAX_DISPLAY_NAME_LEN: usize = 255;
pub const MAX_METADATA: usize = 25;
const MAX_METADATA_KEY_LEN: usize = 255;
const MAX_METADATA_VALUE_LEN: usize = 255;
const MAX_LOGO_URL_LEN: usize = 2048;
const NOT_FOUND: &str = "No organization found by that id or name";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationRecord {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub branding: Option<OrganizationBranding>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    pub created_at: u64,
}

impl OrganizationRecord {
    fn insert(&self) -> Statement {
        Statement::new(
            "INSERT INTO organizations (id, name, created_at, doc, version) \
             VALUES (?1, ?2, ?3, ?4, 1)",
        )
        .bind(&self.id)
        .bind(&self.name)
        .bind(self.created_at)
        .bind(database::doc(self))
    }

    pub fn to_dto(&self) -> Organization {
        Organization {
            id: self.id.clone(),
            name: self.name.clone(),
            display_name: self.display_name.clone(),
            branding: self.branding.clone(),
            metadata: self.metadata.clone(),
        }
    }

    /// What a sign-in page calls it.
    pub fn shown_name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.name)
    }

    fn validate(&self) -> Result<()> {
        check_name(&self.name)?;
        if let Some(display_name) = &self.display_name {
            check_text("display_name", display_name, 1, MAX_DISPLAY_NAME_LEN)?;
        }
        if let Some(branding) = &self.branding {
            check_branding(branding)?;
        }
        check_metadata(&self.metadata)
    }
}

impl Stored for OrganizationRecord {
    const SELECT: &'static str = "SELECT doc, version FROM organizations WHERE id = ?1";
    const KIND: &'static str = "organization";

    fn update(&self, version: i64) -> Statement {
        Statement::new(
            "UPDATE organizations SET doc = ?1, name = ?2, version = version + 1 \
             WHERE id = ?3 AND version = ?4 RETURNING version",
        )
        .bind(database::doc(self))
        .bind(&self.name)
        .bind(&self.id)
        .bind(version)
    }

    /// By id and by name; a rename moves the second ([`Tenant::modify`]
    /// projects the key it leaves too, so it is deleted).
    fn projections(&self) -> Vec<Projection> {
        vec![
            Projection::Organization(self.id.clone()),
            Projection::OrganizationName(self.name.clone()),
        ]
    }

    fn conflict(_detail: &str) -> Error {
        name_taken()
    }
}

/// An organization as the token endpoint reads it: the record and the ids
/// of the client grants linked to it, from one KV entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EdgeOrganization {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    #[serde(default)]
    pub client_grants: Vec<String>,
}

fn not_found() -> Error {
    Error::not_found(ManagementErrorCode::InexistentOrganization, NOT_FOUND)
}

fn name_taken() -> Error {
    Error::conflict("An organization with this name already exists")
}

/// Whether `value` could be an organization id: anything else is a name.
pub fn is_id(value: &str) -> bool {
    value.starts_with(ID_PREFIX)
}

fn is_well_formed_id(id: &str) -> bool {
    id.len() == ID_PREFIX.len() + ID_RANDOM_LEN
        && is_id(id)
        && id[ID_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric())
}

/// Auth0's rule: 1 to 50 lower-case letters, digits, `-` and `_`. Ours on
/// top: not beginning with `org_`, the prefix of ids.
pub fn check_name(name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !valid {
        return Err(Error::invalid_field(
            "name",
            format!("must be 1 to {MAX_NAME_LEN} lower-case letters, digits, '-' or '_'"),
        ));
    }
    if is_id(name) {
        return Err(Error::invalid_field(
            "name",
            format!("must not begin with '{ID_PREFIX}', the prefix of organization ids"),
        ));
    }
    Ok(())
}

fn check_branding(branding: &OrganizationBranding) -> Result<()> {
    if let Some(url) = &branding.logo_url {
        let parsed = url::Url::parse(url).ok();
        let https = parsed
            .as_ref()
            .is_some_and(|u| u.scheme() == "https" && u.host().is_some());
        if !https || url.len() > MAX_LOGO_URL_LEN || url.chars().any(char::is_whitespace) {
            return Err(Error::invalid_field(
                "branding.logo_url",
                "must be an https URL",
            ));
        }
    }
    if let Some(colors) = &branding.colors {
        for (field, color) in [
            ("branding.colors.primary", &colors.primary),
            ("branding.colors.page_background", &colors.page_background),
        ] {
            if let Some(color) = color {
                let hex = color.strip_prefix('#').unwrap_or_default();
                let valid =
                    matches!(hex.len(), 3 | 6) && hex.bytes().all(|b| b.is_ascii_hexdigit());
                if !valid {
                    return Err(Error::invalid_field(
                        field,
                        "must be a hex color such as #635dff",
                    ));
                }
            }
        }
    }
    Ok(())
}

fn check_metadata(metadata: &BTreeMap<String, String>) -> Result<()> {
    if metadata.len() > MAX_METADATA {
        return Err(Error::invalid_field(
            "metadata",
            format!("may hold at most {MAX_METADATA} properties"),
        ));
    }
    for (key, value) in metadata {
        if key.is_empty() || key.chars().count() > MAX_METADATA_KEY_LEN {
            return Err(Error::invalid_field(
                "metadata",
                format!("names must be 1 to {MAX_METADATA_KEY_LEN} characters long"),
            ));
        }
        check_text(
            &format!("metadata.{}", echo(key)),
            value,
            0,
            MAX_METADATA_VALUE_LEN,
        )?;
    }
    Ok(())
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// The organization a token request names, by id or by name, as the
    /// edge reads it: one KV read, and none for a value that cannot name
    /// one.
    pub async fn organization_at_edge(&self, id_or_name: &str) -> Result<Option<EdgeOrganization>> {
        let projection = if is_id(id_or_name) {
            if !is_well_formed_id(id_or_name) {
                return Ok(None);
            }
            Projection::Organization(id_or_name.to_string())
        } else {
            if check_name(id_or_name).is_err() {
                return Ok(None);
            }
            Projection::OrganizationName(id_or_name.to_string())
        };
        store::get_json(self.store, &projection.key()).await
    }

    /// A stored organization by id or by name: one query.
    pub(crate) async fn stored_organization(
        &self,
        id_or_name: &str,
    ) -> Result<Option<OrganizationRecord>> {
        let statement = if is_id(id_or_name) {
            if !is_well_formed_id(id_or_name) {
                return Ok(None);
            }
            Statement::new("SELECT doc FROM organizations WHERE id = ?1")
        } else {
            if check_name(id_or_name).is_err() {
                return Ok(None);
            }
            Statement::new("SELECT doc FROM organizations WHERE name = ?1")
        };
        let row: Option<database::Doc> =
            database::first(self.db, statement.bind(id_or_name)).await?;
        row.map(|row| row.record()).transpose()
    }

    pub(crate) async fn existing_organization(&self, id: &str) -> Result<OrganizationRecord> {
        if !is_well_formed_id(id) {
            return Err(not_found());
        }
        self.stored_organization(id).await?.ok_or_else(not_found)
    }

    pub async fn create_organization(&self, request: OrganizationCreate) -> Result<Organization> {
        let record = OrganizationRecord {
            id: format!(
                "{ID_PREFIX}{}",
                random::alphanumeric(self.rng, ID_RANDOM_LEN)
            ),
            name: request.name,
            display_name: request.display_name,
            branding: request.branding,
            metadata: request.metadata.unwrap_or_default(),
            created_at: self.clock.now(),
        };
        record.validate()?;
        self.create(vec![record.insert()], &record.projections(), name_taken)
            .await?;
        Ok(record.to_dto())
    }

    pub async fn get_organization(&self, id: &str) -> Result<Organization> {
        Ok(self.existing_organization(id).await?.to_dto())
    }

    /// `GET /api/v2/organizations/name/{name}`.
    pub async fn get_organization_by_name(&self, name: &str) -> Result<Organization> {
        if is_id(name) {
            return Err(not_found());
        }
        Ok(self
            .stored_organization(name)
            .await?
            .ok_or_else(not_found)?
            .to_dto())
    }

    /// Organizations by name, a page (two queries at most) or the next
    /// ones after a checkpoint (one query), whatever their number.
    pub async fn list_organizations(&self, pagination: Pagination) -> Result<serde_json::Value> {
        match pagination {
            Pagination::Offset(paging) => {
                let (records, total) = self
                    .page_of::<OrganizationRecord>(
                        Statement::new("SELECT doc FROM organizations ORDER BY name"),
                        Statement::new("SELECT count(*) AS n FROM organizations"),
                        paging.window(),
                        paging.include_totals,
                    )
                    .await?;
                Ok(Listing {
                    items: records.iter().map(OrganizationRecord::to_dto).collect(),
                    paging,
                    total,
                }
                .to_json("organizations"))
            }
            Pagination::Checkpoint(checkpoint) => {
                let rows: Vec<database::Doc> = database::all(
                    self.db,
                    Statement::new(
                        "SELECT doc FROM organizations WHERE name > ?1 ORDER BY name LIMIT ?2",
                    )
                    .bind(checkpoint.after.as_deref().unwrap_or_default())
                    .bind(checkpoint.take),
                )
                .await?;
                let records = rows
                    .iter()
                    .map(database::Doc::record)
                    .collect::<Result<Vec<OrganizationRecord>>>()?;
                let next = checkpoint.next(records.last().map(|r| r.name.as_str()), records.len());
                let items: Vec<Organization> =
                    records.iter().map(OrganizationRecord::to_dto).collect();
                Ok(checkpoint_json("organizations", &items, next))
            }
        }
    }

    /// Applies a PATCH over the version it read; a new name is checked for
    /// uniqueness by the database.
    pub async fn update_organization(
        &self,
        id: &str,
        update: OrganizationUpdate,
    ) -> Result<Organization> {
        if !is_well_formed_id(id) {
            return Err(not_found());
        }
        let (record, ()) = self
            .modify(id, not_found, |record: &mut OrganizationRecord| {
                if let Some(name) = &update.name {
                    record.name = name.clone();
                }
                if let Some(display_name) = &update.display_name {
                    record.display_name = display_name.clone();
                }
                if let Some(branding) = &update.branding {
                    record.branding = branding.clone();
                }
                if let Some(metadata) = &update.metadata {
                    record.metadata = metadata.clone();
                }
                record.validate()
            })
            .await?;
        Ok(record.to_dto())
    }

    /// Deletes an organization with its members and its links to client
    /// grants, in one batch; both of its read-model entries go.
    pub async fn delete_organization(&self, id: &str) -> Result<()> {
        let record = self.existing_organization(id).await?;
        let projections = record.projections();
        let rows = self
            .commit(
                vec![
                    Statement::new(
                        "DELETE FROM organization_client_grants WHERE organization_id = ?1",
                    )
                    .bind(id),
                    Statement::new("DELETE FROM organization_members WHERE organization_id = ?1")
                        .bind(id),
                    Statement::new("DELETE FROM organizations WHERE id = ?1 RETURNING id").bind(id),
                ],
                &projections,
            )
            .await?;
        if rows[2].is_empty() {
            return Err(not_found());
        }
        self.project(&projections).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_auth0s_rule_and_never_look_like_ids() {
        for ok in ["acme", "a", "acme-corp_2", &"x".repeat(50)] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Acme",
            "acme corp",
            "acmé",
            "acme.corp",
            &"x".repeat(51),
            "org_acme",
        ] {
            assert_eq!(check_name(bad).unwrap_err().status(), 400, "{bad}");
        }
    }

    #[test]
    fn ids_are_the_prefix_and_sixteen_alphanumerics() {
        assert!(is_well_formed_id("org_abcdefghIJKLMN12"));
        assert!(!is_well_formed_id("org_abc"));
        assert!(!is_well_formed_id("org_abcdefghIJKLMN1!"));
        assert!(!is_well_formed_id("acme"));
    }

    #[test]
    fn branding_is_an_https_logo_and_hex_colors() {
        let branding = |logo: Option<&str>, primary: Option<&str>| OrganizationBranding {
            logo_url: logo.map(str::to_string),
            colors: Some(shared::organizations::BrandingColors {
                primary: primary.map(str::to_string),
                page_background: None,
            }),
        };
        assert!(check_branding(&branding(
            Some("https://cdn.example/logo.png"),
            Some("#635dff")
        ))
        .is_ok());
        assert!(check_branding(&branding(None, Some("#FFF"))).is_ok());
        for (logo, primary) in [
            (Some("http://cdn.example/logo.png"), None),
            (Some("javascript:alert(1)"), None),
            (None, Some("red")),
            (None, Some("#12345")),
        ] {
            assert!(
                check_branding(&branding(logo, primary)).is_err(),
                "{logo:?} {primary:?}"
            );
        }
    }

    #[test]
    fn metadata_is_bounded() {
        let many: BTreeMap<String, String> = (0..26)
            .map(|i| (format!("k{i}"), "v".to_string()))
            .collect();
        assert!(check_metadata(&many).is_err());
        let long: BTreeMap<String, String> = [("k".to_string(), "v".repeat(256))].into();
        assert!(check_metadata(&long).is_err());
        let fine: BTreeMap<String, String> = [("tier".to_string(), "gold".to_string())].into();
        assert!(check_metadata(&fine).is_ok());
    }
}
