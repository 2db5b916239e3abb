//! What every Management API operation shares: bearer authorization with
//! per-route scopes, JSON bodies, and Auth0's offset paging.

pub mod actions;
pub mod client_grants;
pub mod clients;
pub mod logs;
pub mod operations;
pub mod organizations;
pub mod resource_servers;
pub mod search;
pub mod settings;
pub mod users;

use serde::de::DeserializeOwned;
use serde::Serialize;
use shared::management::Totals;

use crate::error::{echo, Error, ManagementErrorCode, Result};
use crate::jose::access_token::VerifiedAccessToken;
use crate::primitives::scope;
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::{self, Count, Database, Doc, Statement};
use crate::seams::store::Store;
use crate::Tenant;

/// Every scope of the Management API, granted to the bootstrap client.
pub const SCOPES: &[(&str, &str)] = &[
    ("read:clients", "Read Clients"),
    ("create:clients", "Create Clients"),
    ("update:clients", "Update Clients"),
    ("delete:clients", "Delete Clients"),
    ("update:client_keys", "Update Client Keys"),
    ("read:tenant_settings", "Read Tenant Settings"),
    ("update:tenant_settings", "Update Tenant Settings"),
    ("read:resource_servers", "Read Resource Servers"),
    ("create:resource_servers", "Create Resource Servers"),
    ("update:resource_servers", "Update Resource Servers"),
    ("delete:resource_servers", "Delete Resource Servers"),
    ("read:client_grants", "Read Client Grants"),
    ("create:client_grants", "Create Client Grants"),
    ("update:client_grants", "Update Client Grants"),
    ("delete:client_grants", "Delete Client Grants"),
    ("read:users", "Read Users"),
    ("create:users", "Create Users"),
    ("update:users", "Update Users"),
    ("delete:users", "Delete Users"),
    ("read:logs", "Read Logs"),
    ("read:organizations", "Read Organizations"),
    ("create:organizations", "Create Organizations"),
    ("update:organizations", "Update Organizations"),
    ("delete:organizations", "Delete Organizations"),
    ("read:organization_members", "Read Organization Members"),
    ("create:organization_members", "Add Organization Members"),
    ("delete:organization_members", "Remove Organization Members"),
    (
        "read:organization_client_grants",
        "Read Organization Client Grants",
    ),
    (
        "create:organization_client_grants",
        "Create Organization Client Grants",
    ),
    (
        "delete:organization_client_grants",
        "Delete Organization Client Grants",
    ),
    ("read:actions", "Read Actions"),
    ("create:actions", "Create Actions"),
    ("update:actions", "Update Actions"),
    ("delete:actions", "Delete Actions"),
];

/// Largest request body any endpoint accepts, but an action's.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Largest body of an action's creation, change or test: its code may be
/// 100 kB, and JSON's escapes may double it.
pub const MAX_ACTION_BODY_BYTES: usize = 256 * 1024;

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// Authorizes a Management API call: a valid access token for the
    /// Management API audience (401 otherwise) holding `scope` (403) as its
    /// holder's access stands now (see [`Self::current_access`]).
    pub async fn authorize_management(
        &self,
        authorization: Option<&str>,
        scope: &str,
    ) -> Result<VerifiedAccessToken> {
        let audience = self.management_audience();
        let mut token = self
            .verify_bearer(authorization, Some(&audience))
            .await
            .map_err(Error::for_management)?;
        let held = self.current_access(&token).await?;
        token.scope.retain(|scope| held.holds(scope));
        if !token.has_scope(scope) {
            return Err(Error::management(
                ManagementErrorCode::InsufficientScope,
                format!("Insufficient scope, expected any of: {scope}"),
            ));
        }
        Ok(token)
    }

    /// A Management API token is only as good as the access behind it is
    /// now, not when it was issued: its client must still exist and be
    /// first-party; a client's own token holds only what its grant for the
    /// Management API still grants; a person's token holds only the
    /// permissions the person still has, and nothing once they are blocked
    /// or deleted. The built-in clients (bootstrap, Dashboard, sample app)
    /// are configuration and always first-party; anything else costs one
    /// query for the client, and one for its grant or its user. Read from
    /// the system of record, never the edge's copy: a withdrawal takes
    /// effect at the next call, everywhere.
    async fn current_access(&self, token: &VerifiedAccessToken) -> Result<HeldScopes> {
        let claims = &token.claims;
        let client_id = claims.client_id.as_str();
        let bootstrap = self
            .config
            .bootstrap
            .as_ref()
            .is_some_and(|bootstrap| bootstrap.client_id == client_id);
        let own_token = claims.sub.strip_suffix("@clients") == Some(client_id);
        if own_token && bootstrap {
            return Ok(HeldScopes::All);
        }
        let built_in = bootstrap
            || client_id == self.app_client_id()
            || client_id == self.dashboard_client_id();
        let withdrawn =
            |message: &str| Error::management(ManagementErrorCode::InvalidToken, message);
        if !built_in {
            match self.stored_client(client_id).await? {
                Some(client) if !client.is_third_party() => {}
                Some(_) => {
                    return Err(withdrawn(
                        "Third-party clients cannot access the Management API",
                    ))
                }
                None => return Err(withdrawn("The client of this token no longer exists")),
            }
        }
        let audience = self.management_audience();
        if own_token {
            let grant = self.stored_client_grant_for(client_id, &audience).await?;
            return Ok(HeldScopes::Some(
                grant.map(|grant| grant.scope).unwrap_or_default(),
            ));
        }
        let user = self
            .user(&claims.sub)
            .await?
            .filter(|user| !user.blocked)
            .ok_or_else(|| withdrawn("The user of this token is blocked or no longer exists"))?;
        Ok(HeldScopes::Some(
            user.permissions_on(&audience).map(str::to_string).collect(),
        ))
    }

    /// A caller cannot give more than it has: each Management API
    /// permission granted (to a person or, through a client grant, to an
    /// application) must be one the caller's token holds. The bootstrap
    /// client's own token holds them all.
    pub(crate) fn check_delegation<'p>(
        &self,
        granter: &VerifiedAccessToken,
        audience: &str,
        scopes: impl IntoIterator<Item = &'p str>,
    ) -> Result<()> {
        self.refuse_beyond(granter, audience, scopes, |missing| {
            format!("Only Management API permissions the caller holds can be granted; missing: {missing}")
        })
    }

    /// 403 naming what `granter` lacks of the Management API `scopes`.
    pub(crate) fn refuse_beyond<'p>(
        &self,
        granter: &VerifiedAccessToken,
        audience: &str,
        scopes: impl IntoIterator<Item = &'p str>,
        message: impl FnOnce(&str) -> String,
    ) -> Result<()> {
        if audience != self.management_audience() {
            return Ok(());
        }
        let missing: Vec<&str> = scopes
            .into_iter()
            .filter(|scope| !granter.has_scope(scope))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(Error::management(
            ManagementErrorCode::InsufficientScope,
            message(&scope::name_some(&missing)),
        ))
    }
}

/// The Management API scopes a token's holder has now.
enum HeldScopes {
    All,
    Some(Vec<String>),
}

impl HeldScopes {
    fn holds(&self, scope: &str) -> bool {
        match self {
            Self::All => true,
            Self::Some(scopes) => scopes.iter().any(|s| s == scope),
        }
    }
}

/// Parses a Management API JSON body into its request type, turning serde's
/// complaint into Auth0's payload validation message naming the field.
pub fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::invalid_body("body is empty"));
    }
    // serde reads a struct from a JSON array too (`["x"]` as `{"name":
    // "x"}`); every body of the API is an object.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(Error::invalid_body("the body must be a JSON object"));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let detail = err.inner().to_string();
        let detail = detail.split(" at line ").next().unwrap_or(&detail);
        if path == "." {
            Error::invalid_body(detail)
        } else {
            Error::invalid_field(path, format!("is not valid: {detail}"))
        }
    })?;
    deserializer
        .end()
        .map_err(|_| Error::invalid_body("trailing characters after the JSON body"))?;
    Ok(value)
}

/// The `LIMIT` and `OFFSET` of a page of rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub limit: u64,
    pub offset: u64,
}

/// `page`, `per_page` and `include_totals` of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: u64,
    pub per_page: u64,
    pub include_totals: bool,
}

impl Paging {
    pub const DEFAULT_PER_PAGE: u64 = 50;
    pub const MAX_PER_PAGE: u64 = 100;

    /// From the listing's query pairs; unknown pairs are left to the caller.
    pub fn from_query(pairs: &[(String, String)]) -> Result<Self> {
        let mut paging = Paging {
            page: 0,
            per_page: Self::DEFAULT_PER_PAGE,
            include_totals: false,
        };
        for (name, value) in pairs {
            let invalid = || {
                Error::management(
                    ManagementErrorCode::InvalidQueryString,
                    format!(
                        "Query validation error: invalid value for {}: '{}'",
                        echo(name),
                        echo(value)
                    ),
                )
            };
            match name.as_str() {
                "page" => paging.page = value.parse().map_err(|_| invalid())?,
                "per_page" => {
                    paging.per_page = value
                        .parse()
                        .ok()
                        .filter(|n| (1..=Self::MAX_PER_PAGE).contains(n))
                        .ok_or_else(invalid)?
                }
                "include_totals" => {
                    paging.include_totals = match value.as_str() {
                        "true" => true,
                        "false" => false,
                        _ => return Err(invalid()),
                    }
                }
                _ => {}
            }
        }
        Ok(paging)
    }

    /// How many items come before this page.
    pub fn offset(&self) -> u64 {
        self.page.saturating_mul(self.per_page).min(i64::MAX as u64)
    }

    /// The rows this page shows.
    pub fn window(&self) -> Window {
        Window {
            limit: self.per_page,
            offset: self.offset(),
        }
    }

    /// The slice of `total` items this page covers.
    pub fn range(&self, total: usize) -> std::ops::Range<usize> {
        let start = (self.page.saturating_mul(self.per_page) as usize).min(total);
        let end = start.saturating_add(self.per_page as usize).min(total);
        start..end
    }
}

/// Auth0's checkpoint paging: `take` items after the opaque `from`, and a
/// `next` to continue with while more may follow. The checkpoint is the
/// listing's sort key (base64url), so it stays valid when the item it was
/// taken from is deleted, and each call is one query on an index, however
/// deep it reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The sort key the listing continues after; `None` from the start.
    pub after: Option<String>,
    pub take: u64,
}

impl Checkpoint {
    pub const DEFAULT_TAKE: u64 = 50;
    pub const MAX_TAKE: u64 = 100;
    const MAX_KEY_BYTES: usize = 512;

    /// `Some` when the query asks for checkpoints (`from` or `take`).
    pub fn from_query(pairs: &[(String, String)]) -> Result<Option<Self>> {
        let value = |name: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        let (from, take) = (value("from"), value("take"));
        if from.is_none() && take.is_none() {
            return Ok(None);
        }
        let invalid = |name: &str, value: &str| {
            Error::management(
                ManagementErrorCode::InvalidQueryString,
                format!(
                    "Query validation error: invalid value for {name}: '{}'",
                    echo(value)
                ),
            )
        };
        if value("page").is_some() || value("per_page").is_some() {
            return Err(Error::management(
                ManagementErrorCode::InvalidQueryString,
                "Query validation error: from and take do not combine with page and per_page",
            ));
        }
        let take = match take {
            None => Self::DEFAULT_TAKE,
            Some(text) => text
                .parse()
                .ok()
                .filter(|n| (1..=Self::MAX_TAKE).contains(n))
                .ok_or_else(|| invalid("take", text))?,
        };
        let after = match from.filter(|f| !f.is_empty()) {
            None => None,
            Some(from) => Some(
                base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, from)
                    .ok()
                    .filter(|bytes| bytes.len() <= Self::MAX_KEY_BYTES)
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .ok_or_else(|| invalid("from", from))?,
            ),
        };
        Ok(Some(Self { after, take }))
    }

    /// The checkpoint after a call that returned `count` items, the last
    /// with sort key `last`: none once a call returns fewer than it took.
    pub fn next(&self, last: Option<&str>, count: usize) -> Option<String> {
        if (count as u64) < self.take {
            return None;
        }
        last.map(|key| {
            base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, key)
        })
    }
}

/// How a listing is paged: Auth0's offset paging (`page`, `per_page`,
/// `include_totals`), or its checkpoints (`from`, `take`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pagination {
    Offset(Paging),
    Checkpoint(Checkpoint),
}

impl Pagination {
    /// `take` or `from` choose checkpoints; they do not mix with `page`.
    pub fn from_query(pairs: &[(String, String)]) -> Result<Self> {
        match Checkpoint::from_query(pairs)? {
            Some(checkpoint) => Ok(Self::Checkpoint(checkpoint)),
            None => Ok(Self::Offset(Paging::from_query(pairs)?)),
        }
    }
}

/// A checkpoint listing: `{"<items>": [...], "next": "..."}`, `next` only
/// when more may follow.
pub fn checkpoint_json<T: Serialize>(
    items_key: &str,
    items: &[T],
    next: Option<String>,
) -> serde_json::Value {
    let mut object = serde_json::Map::new();
    object.insert(
        items_key.to_string(),
        serde_json::to_value(items).expect("DTOs serialize"),
    );
    if let Some(next) = next {
        object.insert("next".to_string(), serde_json::Value::String(next));
    }
    serde_json::Value::Object(object)
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// One page of stored records: `select` (a query of `doc` columns,
    /// ordered) with the window's `LIMIT` and `OFFSET` appended, and, with
    /// `totals`, `count` (a `SELECT count(*) AS n`) in the same batch. Two
    /// queries at most, whatever the number of rows.
    pub(crate) async fn page_of<R: DeserializeOwned>(
        &self,
        select: Statement,
        count: Statement,
        window: Window,
        totals: bool,
    ) -> Result<(Vec<R>, usize)> {
        let mut select = select;
        select.sql = format!("{} LIMIT ? OFFSET ?", select.sql).into();
        let select = select.bind(window.limit).bind(window.offset);
        let mut statements = vec![select];
        if totals {
            statements.push(count);
        }
        let mut results = self.db.batch(statements).await?.into_iter();
        let records = results
            .next()
            .unwrap_or_default()
            .into_iter()
            .map(|row| database::decode::<Doc>(row)?.record())
            .collect::<Result<Vec<R>>>()?;
        let total = match results.next().and_then(|rows| rows.into_iter().next()) {
            Some(row) => database::decode::<Count>(row)?.n as usize,
            // Without totals the total is not shown; what is known is
            // enough for the page's own bounds.
            None => window.offset as usize + records.len(),
        };
        Ok((records, total))
    }
}

/// One page of a listing, rendered as Auth0 does: a bare array, or with
/// `include_totals` an object with the items under the resource's name.
pub struct Listing<T> {
    pub items: Vec<T>,
    pub paging: Paging,
    pub total: usize,
}

impl<T: Serialize> Listing<T> {
    pub fn to_json(&self, items_key: &str) -> serde_json::Value {
        let items = serde_json::to_value(&self.items).expect("DTOs serialize");
        if !self.paging.include_totals {
            return items;
        }
        let totals = Totals {
            start: self.paging.range(self.total).start as u64,
            limit: self.paging.per_page,
            length: self.items.len() as u64,
            total: self.total as u64,
        };
        let mut object = serde_json::to_value(totals).expect("DTOs serialize");
        object[items_key] = items;
        object
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(query: &str) -> Vec<(String, String)> {
        serde_urlencoded::from_str(query).unwrap()
    }

    #[test]
    fn paging_defaults_and_bounds() {
        let paging = Paging::from_query(&[]).unwrap();
        assert_eq!(
            (paging.page, paging.per_page, paging.include_totals),
            (0, 50, false)
        );
        assert!(Paging::from_query(&pairs("per_page=101")).is_err());
        assert!(Paging::from_query(&pairs("per_page=0")).is_err());
        assert!(Paging::from_query(&pairs("page=-1")).is_err());
        assert!(Paging::from_query(&pairs("include_totals=yes")).is_err());
        let paging = Paging::from_query(&pairs("page=2&per_page=2&include_totals=true")).unwrap();
        assert_eq!(paging.range(5), 4..5);
        assert_eq!(paging.range(3), 3..3);
    }

    #[test]
    fn huge_page_numbers_do_not_overflow() {
        let paging = Paging::from_query(&pairs(&format!("page={}", u64::MAX))).unwrap();
        assert_eq!(paging.range(10), 10..10);
    }

    #[test]
    fn listing_with_totals_names_the_items() {
        let listing = Listing {
            items: vec![1, 2],
            paging: Paging::from_query(&pairs("page=1&per_page=2&include_totals=true")).unwrap(),
            total: 5,
        };
        let json = listing.to_json("clients");
        assert_eq!(json["clients"], serde_json::json!([1, 2]));
        assert_eq!(
            (json["start"].as_u64(), json["limit"].as_u64()),
            (Some(2), Some(2))
        );
        assert_eq!(
            (json["length"].as_u64(), json["total"].as_u64()),
            (Some(2), Some(5))
        );
    }

    #[test]
    fn body_errors_name_the_field() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Body {
            name: String,
        }
        let err = parse_body::<Body>(br#"{"name":"a","colour":"red"}"#).unwrap_err();
        assert!(err.to_string().contains("colour"), "{err}");
        let err = parse_body::<Body>(br#"{}"#).unwrap_err();
        assert!(err.to_string().contains("name"), "{err}");
        let err = parse_body::<Body>(br#"{"name":5}"#).unwrap_err();
        assert_eq!(err.status(), 400);
        assert!(err.to_string().contains("'name'"), "{err}");
        assert!(parse_body::<Body>(br#"{"name":"a"} {}"#).is_err());
        assert!(parse_body::<Body>(b"  ").is_err());
    }

    #[test]
    fn a_body_must_be_an_object_not_an_array() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Body {
            name: Option<String>,
        }
        for body in [&br#"["a"]"#[..], b" [null, null]", b"null", b"\"a\""] {
            let err = parse_body::<Body>(body).unwrap_err();
            assert_eq!(err.status(), 400);
            assert!(err.to_string().contains("JSON object"), "{err}");
        }
        assert!(parse_body::<Body>(b" \n{}").is_ok());
    }
}
