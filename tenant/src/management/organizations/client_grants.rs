//! Which client grants may act for an organization
//! (`/api/v2/organizations/{id}/client-grants`): a grant that does not
//! allow any organization gets tokens for one only when linked to it.
//!
//! A link is a row of `organization_client_grants`; the organization's
//! read-model entries list the ids of the grants linked to it, so the
//! token endpoint checks a link in the entry it reads anyway. An
//! organization holds at most [`MAX_CLIENT_GRANTS_PER_ORGANIZATION`]
//! links, which bounds that entry and what the token endpoint parses.

use shared::management::ClientGrant;

use crate::error::{Error, ManagementErrorCode, Result};
use crate::management::client_grants::ClientGrantRecord;
use crate::management::organizations::OrganizationRecord;
use crate::management::{checkpoint_json, Listing, Pagination, Paging};
use crate::records::Stored;
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::{self, Database, DatabaseError, Statement};
use crate::seams::store::Store;
use crate::Tenant;

/// Most client grants linked to one organization. A grant meant for many
/// organizations allows any (`allow_any_organization`) instead.
pub const MAX_CLIENT_GRANTS_PER_ORGANIZATION: u64 = 100;
/// Most ids in a `grant_ids` filter.
const MAX_GRANT_IDS: usize = 100;

/// The filters of `GET /api/v2/organizations/{id}/client-grants`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkedGrantsFilter {
    pub audience: Option<String>,
    pub client_id: Option<String>,
    /// `grant_ids`, repeated or comma-separated.
    pub grant_ids: Vec<String>,
}

impl LinkedGrantsFilter {
    pub fn from_query(pairs: &[(String, String)]) -> Result<Self> {
        let mut filter = Self::default();
        for (name, value) in pairs {
            match name.as_str() {
                "audience" => filter.audience = Some(value.clone()),
                "client_id" => filter.client_id = Some(value.clone()),
                "grant_ids" | "grant_ids[]" => filter.grant_ids.extend(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|id| !id.is_empty())
                        .map(str::to_string),
                ),
                _ => {}
            }
        }
        if filter.grant_ids.len() > MAX_GRANT_IDS {
            return Err(Error::management(
                ManagementErrorCode::InvalidQueryString,
                format!("Query validation error: grant_ids may hold at most {MAX_GRANT_IDS} ids"),
            ));
        }
        Ok(filter)
    }
}

fn no_grant() -> Error {
    Error::not_found(
        ManagementErrorCode::InexistentClientGrant,
        "The client grant does not exist",
    )
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// `POST /api/v2/organizations/{id}/client-grants`: lets the grant act
    /// for the organization. 409 when it already may; the limit is checked
    /// in the statement that links, so concurrent links cannot pass it.
    pub async fn link_organization_client_grant(
        &self,
        organization_id: &str,
        grant_id: &str,
    ) -> Result<ClientGrant> {
        let organization = self.existing_organization(organization_id).await?;
        let grant: ClientGrantRecord = if grant_id.len() > 64 {
            return Err(no_grant());
        } else {
            self.versioned(grant_id)
                .await?
                .map(|(grant, _)| grant)
                .ok_or_else(no_grant)?
        };
        if grant.audience == self.management_audience() {
            return Err(Error::invalid_field(
                "grant_id",
                "is a grant for the Management API, whose tokens do not act for organizations",
            ));
        }
        let link = Statement::new(
            "INSERT INTO organization_client_grants (organization_id, grant_id, created_at) \
             SELECT ?1, ?2, ?3 WHERE (SELECT count(*) FROM organization_client_grants \
             WHERE organization_id = ?1) < ?4 RETURNING grant_id",
        )
        .bind(&organization.id)
        .bind(&grant.id)
        .bind(self.clock.now())
        .bind(MAX_CLIENT_GRANTS_PER_ORGANIZATION);
        let projections = organization.projections();
        let rows = match self.commit(vec![link], &projections).await {
            Ok(rows) => rows,
            Err(DatabaseError::Constraint(detail)) if detail.contains("FOREIGN KEY") => {
                return Err(Error::conflict(
                    "The organization or the client grant was deleted meanwhile; retry",
                ))
            }
            Err(DatabaseError::Constraint(_)) => {
                return Err(Error::conflict(
                    "The client grant is already associated with this organization",
                ))
            }
            Err(err) => return Err(err.into()),
        };
        // The queue entry committed either way; projecting an unchanged
        // organization again is harmless.
        self.project(&projections).await;
        if rows[0].is_empty() {
            return Err(Error::invalid_body(format!(
                "an organization may be associated with at most {MAX_CLIENT_GRANTS_PER_ORGANIZATION} client grants; \
                 a grant meant for many organizations can allow any (allow_any_organization)"
            )));
        }
        Ok(grant.to_dto())
    }

    /// `DELETE /api/v2/organizations/{id}/client-grants/{grant_id}`: the
    /// grant no longer acts for the organization (unless it allows any).
    /// Deleting a link that does not exist succeeds, as a repeated DELETE
    /// should.
    pub async fn unlink_organization_client_grant(
        &self,
        organization_id: &str,
        grant_id: &str,
    ) -> Result<()> {
        let organization = self.existing_organization(organization_id).await?;
        let projections = organization.projections();
        self.commit(
            vec![Statement::new(
                "DELETE FROM organization_client_grants WHERE organization_id = ?1 AND grant_id = ?2",
            )
            .bind(&organization.id)
            .bind(grant_id)],
            &projections,
        )
        .await?;
        self.project(&projections).await;
        Ok(())
    }

    /// The grants linked to an organization, filtered: two queries at
    /// most, over at most [`MAX_CLIENT_GRANTS_PER_ORGANIZATION`] links.
    pub async fn list_organization_client_grants(
        &self,
        organization_id: &str,
        paging: Paging,
        filter: &LinkedGrantsFilter,
    ) -> Result<Listing<ClientGrant>> {
        let organization = self.existing_organization(organization_id).await?;
        let mut conditions = String::new();
        let mut params = vec![organization.id.clone()];
        for (column, value) in [
            ("audience", &filter.audience),
            ("client_id", &filter.client_id),
        ] {
            if let Some(value) = value {
                params.push(value.clone());
                conditions.push_str(&format!(" AND g.{column} = ?{}", params.len()));
            }
        }
        if !filter.grant_ids.is_empty() {
            params.push(serde_json::to_string(&filter.grant_ids).expect("strings serialize"));
            conditions.push_str(&format!(
                " AND g.id IN (SELECT value FROM json_each(?{}))",
                params.len()
            ));
        }
        let from = format!(
            "FROM organization_client_grants l JOIN client_grants g ON g.id = l.grant_id \
             WHERE l.organization_id = ?1{conditions}"
        );
        let bind = |sql: String| {
            params.iter().fold(Statement::new(sql), |statement, value| {
                statement.bind(value)
            })
        };
        let (records, total) = self
            .page_of::<ClientGrantRecord>(
                bind(format!("SELECT g.doc {from} ORDER BY l.grant_id")),
                bind(format!("SELECT count(*) AS n {from}")),
                paging.window(),
                paging.include_totals,
            )
            .await?;
        Ok(Listing {
            items: records.iter().map(ClientGrantRecord::to_dto).collect(),
            paging,
            total,
        })
    }

    /// `GET /api/v2/client-grants/{id}/organizations`: the organizations a
    /// grant is linked to, in the order of their ids (the link table's
    /// index): a page (two queries at most) or a checkpoint (one).
    pub async fn list_client_grant_organizations(
        &self,
        grant_id: &str,
        pagination: Pagination,
    ) -> Result<serde_json::Value> {
        if grant_id.len() > 64
            || self
                .versioned::<ClientGrantRecord>(grant_id)
                .await?
                .is_none()
        {
            return Err(no_grant());
        }
        let from =
            "FROM organization_client_grants l JOIN organizations o ON o.id = l.organization_id \
                    WHERE l.grant_id = ?1";
        match pagination {
            Pagination::Offset(paging) => {
                let (records, total) = self
                    .page_of::<OrganizationRecord>(
                        Statement::new(format!("SELECT o.doc {from} ORDER BY l.organization_id"))
                            .bind(grant_id),
                        Statement::new(format!("SELECT count(*) AS n {from}")).bind(grant_id),
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
                    Statement::new(format!(
                        "SELECT o.doc {from} AND l.organization_id > ?2 ORDER BY l.organization_id LIMIT ?3"
                    ))
                    .bind(grant_id)
                    .bind(checkpoint.after.as_deref().unwrap_or_default())
                    .bind(checkpoint.take),
                )
                .await?;
                let records = rows
                    .iter()
                    .map(database::Doc::record)
                    .collect::<Result<Vec<OrganizationRecord>>>()?;
                let next = checkpoint.next(records.last().map(|r| r.id.as_str()), records.len());
                let items: Vec<_> = records.iter().map(OrganizationRecord::to_dto).collect();
                Ok(checkpoint_json("organizations", &items, next))
            }
        }
    }
}
