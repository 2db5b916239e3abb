//! Who may sign in to an organization
//! (`/api/v2/organizations/{id}/members`, `/api/v2/users/{id}/organizations`).
//!
//! Rows of `organization_members`, read from the system of record at
//! sign-in and never by the token endpoint.

use shared::organizations::{MembersRequest, OrganizationMember};

use crate::error::{echo, Error, Result};
use crate::management::organizations::OrganizationRecord;
use crate::management::users::{is_well_formed_user_id, UserRecord};
use crate::management::{checkpoint_json, Listing, Pagination, Paging};
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::{self, Database, DatabaseError, Statement};
use crate::seams::store::Store;
use crate::Tenant;

/// Most users one call adds or removes.
pub const MAX_MEMBERS_PER_CALL: usize = 100;

fn member(user: &UserRecord) -> OrganizationMember {
    OrganizationMember {
        user_id: user.user_id.clone(),
        email: user.email.clone(),
        name: user.name.clone(),
        picture: user.picture.clone(),
    }
}

/// The distinct user ids of a members body, bounded.
fn user_ids(request: MembersRequest) -> Result<Vec<String>> {
    if request.members.is_empty() || request.members.len() > MAX_MEMBERS_PER_CALL {
        return Err(Error::invalid_field(
            "members",
            format!("must hold 1 to {MAX_MEMBERS_PER_CALL} user ids"),
        ));
    }
    let mut ids: Vec<String> = Vec::with_capacity(request.members.len());
    for id in request.members {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// `POST /api/v2/organizations/{id}/members`: users that are members
    /// already stay so; a user id that names nobody refuses the whole
    /// call, and nothing is added.
    pub async fn add_organization_members(
        &self,
        organization_id: &str,
        request: MembersRequest,
    ) -> Result<()> {
        let organization = self.existing_organization(organization_id).await?;
        let ids = user_ids(request)?;
        let wanted = serde_json::to_string(&ids).expect("strings serialize");
        #[derive(serde::Deserialize)]
        struct Found {
            user_id: String,
        }
        let found: Vec<Found> = database::all(
            self.db,
            Statement::new(
                "SELECT user_id FROM users WHERE user_id IN (SELECT value FROM json_each(?1))",
            )
            .bind(&wanted),
        )
        .await?;
        let missing: Vec<&str> = ids
            .iter()
            .filter(|id| !found.iter().any(|f| &f.user_id == *id))
            .map(String::as_str)
            .collect();
        if let Some(first) = missing.first() {
            return Err(Error::invalid_field(
                "members",
                format!(
                    "names a user that does not exist: {}{}",
                    echo(first),
                    match missing.len() {
                        1 => String::new(),
                        n => format!(" (and {} more)", n - 1),
                    }
                ),
            ));
        }
        let insert = Statement::new(
            "INSERT INTO organization_members (organization_id, user_id, created_at) \
             SELECT ?1, value, ?2 FROM json_each(?3) WHERE true ON CONFLICT DO NOTHING",
        )
        .bind(&organization.id)
        .bind(self.clock.now())
        .bind(&wanted);
        match self.db.batch(vec![insert]).await {
            Ok(_) => Ok(()),
            Err(DatabaseError::Constraint(_)) => Err(Error::conflict(
                "The organization or a user was deleted meanwhile; retry",
            )),
            Err(err) => Err(err.into()),
        }
    }

    /// `DELETE /api/v2/organizations/{id}/members`: users that were not
    /// members are skipped.
    pub async fn remove_organization_members(
        &self,
        organization_id: &str,
        request: MembersRequest,
    ) -> Result<()> {
        let organization = self.existing_organization(organization_id).await?;
        let ids = user_ids(request)?;
        database::run(
            self.db,
            vec![Statement::new(
                "DELETE FROM organization_members WHERE organization_id = ?1 \
                 AND user_id IN (SELECT value FROM json_each(?2))",
            )
            .bind(&organization.id)
            .bind(serde_json::to_string(&ids).expect("strings serialize"))],
        )
        .await
    }

    /// The members of an organization in the order of their ids (the
    /// table's key): a page (two queries at most) or a checkpoint (one).
    pub async fn list_organization_members(
        &self,
        organization_id: &str,
        pagination: Pagination,
    ) -> Result<serde_json::Value> {
        let organization = self.existing_organization(organization_id).await?;
        let from = "FROM organization_members m JOIN users u ON u.user_id = m.user_id \
                    WHERE m.organization_id = ?1";
        let id = organization.id.as_str();
        match pagination {
            Pagination::Offset(paging) => {
                let (users, total) = self
                    .page_of::<UserRecord>(
                        Statement::new(format!("SELECT u.doc {from} ORDER BY m.user_id")).bind(id),
                        // Counted on the table's key alone: every member
                        // row has its user (a foreign key), and joining
                        // each one to count them made a page with totals
                        // of 100,000 members three times slower.
                        Statement::new(
                            "SELECT count(*) AS n FROM organization_members WHERE organization_id = ?1",
                        )
                        .bind(id),
                        paging.window(),
                        paging.include_totals,
                    )
                    .await?;
                Ok(Listing {
                    items: users.iter().map(member).collect(),
                    paging,
                    total,
                }
                .to_json("members"))
            }
            Pagination::Checkpoint(checkpoint) => {
                let rows: Vec<database::Doc> = database::all(
                    self.db,
                    Statement::new(format!(
                        "SELECT u.doc {from} AND m.user_id > ?2 ORDER BY m.user_id LIMIT ?3"
                    ))
                    .bind(id)
                    .bind(checkpoint.after.as_deref().unwrap_or_default())
                    .bind(checkpoint.take),
                )
                .await?;
                let users = rows
                    .iter()
                    .map(database::Doc::record)
                    .collect::<Result<Vec<UserRecord>>>()?;
                let next = checkpoint.next(users.last().map(|u| u.user_id.as_str()), users.len());
                let items: Vec<_> = users.iter().map(member).collect();
                Ok(checkpoint_json("members", &items, next))
            }
        }
    }

    /// `GET /api/v2/users/{id}/organizations`: two queries at most.
    pub async fn list_user_organizations(
        &self,
        user_id: &str,
        paging: Paging,
    ) -> Result<serde_json::Value> {
        // 404 for a user that does not exist, as Auth0.
        self.get_user(user_id).await?;
        let from = "FROM organization_members m JOIN organizations o ON o.id = m.organization_id \
                    WHERE m.user_id = ?1";
        let (records, total) = self
            .page_of::<OrganizationRecord>(
                Statement::new(format!("SELECT o.doc {from} ORDER BY m.organization_id"))
                    .bind(user_id),
                Statement::new(format!("SELECT count(*) AS n {from}")).bind(user_id),
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

    /// Whether `user_id` may sign in to `organization_id`: one query on
    /// the table's key.
    pub(crate) async fn is_organization_member(
        &self,
        organization_id: &str,
        user_id: &str,
    ) -> Result<bool> {
        if !is_well_formed_user_id(user_id) {
            return Ok(false);
        }
        let rows = self
            .db
            .rows(
                Statement::new(
                    "SELECT 1 AS member FROM organization_members \
                     WHERE organization_id = ?1 AND user_id = ?2",
                )
                .bind(organization_id)
                .bind(user_id),
            )
            .await?;
        Ok(!rows.is_empty())
    }
}
