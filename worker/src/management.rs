//! The Management API (`/api/v2`): each route authorizes its scope, parses
//! its body or query, and calls the tenant.

use tenant::management::{parse_body, Paging};
use tenant::{Error, Family, Result};
use worker::{Method, Request, Response, Url};

use crate::http::{self, Caching};
use crate::kv::KvTenantStore;
use crate::webcrypto::WebCryptoRsa;

type Tenant<'a> = tenant::Tenant<'a, KvTenantStore, WebCryptoRsa>;

#[derive(Clone, Copy)]
pub enum Collection {
    Clients,
    ResourceServers,
    ClientGrants,
}

impl Collection {
    pub fn parse(collection: &str) -> Option<Self> {
        match collection {
            "clients" => Some(Self::Clients),
            "resource-servers" => Some(Self::ResourceServers),
            "client-grants" => Some(Self::ClientGrants),
            _ => None,
        }
    }

    /// The scope suffix, as in `read:client_grants`.
    fn scope_noun(self) -> &'static str {
        match self {
            Self::Clients => "clients",
            Self::ResourceServers => "resource_servers",
            Self::ClientGrants => "client_grants",
        }
    }
}

pub async fn handle(
    req: &mut Request,
    url: &Url,
    tenant: &Tenant<'_>,
    collection: Collection,
    method: Method,
    id: Option<&str>,
) -> Result<Response> {
    let verb = match (&method, id) {
        (Method::Get | Method::Head, _) => "read",
        (Method::Post, None) => "create",
        (Method::Patch, Some(_)) => "update",
        (Method::Delete, Some(_)) => "delete",
        (_, None) => return Ok(http::method_not_allowed(Family::Management, "GET, POST")),
        (_, Some(_)) => {
            return Ok(http::method_not_allowed(
                Family::Management,
                "GET, PATCH, DELETE",
            ))
        }
    };
    let scope = format!("{verb}:{}", collection.scope_noun());
    let authorization = http::header(req, "authorization");
    tenant
        .authorize_management(authorization.as_deref(), &scope)
        .await?;

    let query = http::query_pairs(url);
    match (collection, verb, id) {
        (Collection::Clients, "read", None) => {
            let listing = tenant.list_clients(Paging::from_query(&query)?).await?;
            ok(&listing.to_json("clients"))
        }
        (Collection::Clients, "read", Some(id)) => ok(&tenant.get_client(id).await?),
        (Collection::Clients, "create", None) => {
            let body = parse_body(&http::read_json_body(req).await?)?;
            created(&tenant.create_client(body).await?)
        }
        (Collection::Clients, "update", Some(id)) => {
            let body = parse_body(&http::read_json_body(req).await?)?;
            ok(&tenant.update_client(id, body).await?)
        }
        (Collection::Clients, "delete", Some(id)) => {
            tenant.delete_client(id).await?;
            http::no_content()
        }
        (Collection::ResourceServers, "read", None) => {
            let listing = tenant
                .list_resource_servers(Paging::from_query(&query)?)
                .await?;
            ok(&listing.to_json("resource_servers"))
        }
        (Collection::ResourceServers, "read", Some(id)) => {
            ok(&tenant.get_resource_server(id).await?)
        }
        (Collection::ResourceServers, "create", None) => {
            let body = parse_body(&http::read_json_body(req).await?)?;
            created(&tenant.create_resource_server(body).await?)
        }
        (Collection::ResourceServers, "update", Some(id)) => {
            let body = parse_body(&http::read_json_body(req).await?)?;
            ok(&tenant.update_resource_server(id, body).await?)
        }
        (Collection::ResourceServers, "delete", Some(id)) => {
            tenant.delete_resource_server(id).await?;
            http::no_content()
        }
        (Collection::ClientGrants, "read", None) => {
            let filter = |name: &str| {
                query
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.as_str())
            };
            let listing = tenant
                .list_client_grants(
                    Paging::from_query(&query)?,
                    filter("client_id"),
                    filter("audience"),
                )
                .await?;
            ok(&listing.to_json("client_grants"))
        }
        (Collection::ClientGrants, "read", Some(id)) => ok(&tenant.get_client_grant(id).await?),
        (Collection::ClientGrants, "create", None) => {
            let body = parse_body(&http::read_json_body(req).await?)?;
            created(&tenant.create_client_grant(body).await?)
        }
        (Collection::ClientGrants, "update", Some(id)) => {
            let body = parse_body(&http::read_json_body(req).await?)?;
            ok(&tenant.update_client_grant(id, body).await?)
        }
        (Collection::ClientGrants, "delete", Some(id)) => {
            tenant.delete_client_grant(id).await?;
            http::no_content()
        }
        _ => Err(Error::bad_request(Family::Management, 404, "Not Found")),
    }
}

fn ok<T: serde::Serialize + ?Sized>(body: &T) -> Result<Response> {
    http::json(200, body, Caching::NoStore)
}

fn created<T: serde::Serialize + ?Sized>(body: &T) -> Result<Response> {
    http::json(201, body, Caching::NoStore)
}
