//! May a client credentials grant act for an organization? The rules of
//! Auth0's Organizations for machine-to-machine access, in the order they
//! are applied (our reading of Auth0's documentation, which publishes no
//! algorithm; the wording of each refusal is ours, in the family of
//! Auth0's `/authorize` messages, and kept fixed):
//!
//! 1. The request's `organization` (an id or a name); when it names none
//!    and the grant requires one, the client's `default_organization` if
//!    its `flows` include `client_credentials`.
//! 2. A grant with `organization_usage: deny` refuses any organization:
//!    400 `invalid_request`, "parameter organization is not allowed for
//!    this client".
//! 3. A grant with `organization_usage: require` and still none: 400
//!    `invalid_request`, "parameter organization is required for this
//!    client".
//! 4. The organization must exist: 400 `invalid_request`, "parameter
//!    organization is invalid: <value>".
//! 5. The grant must allow any organization (first-party clients only) or
//!    be linked to this one: 403 `access_denied`.
//! 6. The token names it: `org_id`, and `org_name` when the tenant allows
//!    organization names in the Authentication API.
//!
//! Steps 1 to 3 read nothing; step 4 is the one KV read a grant with an
//! organization costs, and step 5 is checked in what it read.

use crate::error::{echo, Error, Result};
use crate::management::client_grants::ClientGrantRecord;
use crate::management::clients::ClientRecord;
use crate::management::organizations::EdgeOrganization;
use shared::organizations::{OrganizationUsage, CLIENT_CREDENTIALS_FLOW};

/// Steps 1 to 3: the organization to look up, if any. `client` is `None`
/// for the bootstrap client, which has no stored grant and no default.
pub fn requested<'a>(
    named: Option<&'a str>,
    grant: Option<&ClientGrantRecord>,
    client: Option<&'a ClientRecord>,
) -> Result<Option<&'a str>> {
    let usage = grant.map_or(OrganizationUsage::Deny, |g| g.organization_usage);
    let default = || {
        client
            .and_then(|c| c.default_organization.as_ref())
            .filter(|d| d.flows.iter().any(|f| f == CLIENT_CREDENTIALS_FLOW))
            .map(|d| d.organization_id.as_str())
    };
    match (named, usage) {
        (Some(_), OrganizationUsage::Deny) => Err(Error::invalid_request(
            "parameter organization is not allowed for this client",
        )),
        (Some(named), _) => Ok(Some(named)),
        (None, OrganizationUsage::Require) => default().map(Some).ok_or_else(|| {
            Error::invalid_request("parameter organization is required for this client")
        }),
        (None, _) => Ok(None),
    }
}

/// Steps 4 and 5, on what the edge read for `wanted`.
pub fn check<'o>(
    wanted: &str,
    found: Option<&'o EdgeOrganization>,
    grant: &ClientGrantRecord,
    client: &ClientRecord,
) -> Result<&'o EdgeOrganization> {
    let organization = found.ok_or_else(|| {
        Error::invalid_request(format!(
            "parameter organization is invalid: {}",
            echo(wanted)
        ))
    })?;
    // Third-party clients must be linked to each organization, as in Auth0.
    let any = grant.allow_any_organization && !client.is_third_party();
    if any || organization.client_grants.contains(&grant.id) {
        return Ok(organization);
    }
    Err(Error::access_denied(format!(
        "Client is not authorized to access \"{}\" for organization \"{}\". Associate its client grant with the organization.",
        echo(&grant.audience),
        echo(wanted)
    )))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use shared::organizations::DefaultOrganization;

    use super::*;
    use crate::error::OAuthErrorCode;
    use shared::management::AppType;

    const ORG: &str = "org_abcdefghijklmnop";

    fn grant(usage: OrganizationUsage, any: bool) -> ClientGrantRecord {
        ClientGrantRecord {
            id: "cgr_1".into(),
            client_id: "c".repeat(32),
            audience: "https://api.example/".into(),
            scope: vec![],
            organization_usage: usage,
            allow_any_organization: any,
        }
    }

    fn client(default: Option<(&str, &[&str])>) -> ClientRecord {
        let mut client = ClientRecord::new("c".repeat(32), Some(AppType::NonInteractive), 0);
        client.default_organization = default.map(|(id, flows)| DefaultOrganization {
            organization_id: id.into(),
            flows: flows.iter().map(|f| f.to_string()).collect(),
        });
        client
    }

    fn organization(linked: &[&str]) -> EdgeOrganization {
        EdgeOrganization {
            id: ORG.into(),
            name: "acme".into(),
            display_name: None,
            metadata: BTreeMap::new(),
            client_grants: linked.iter().map(|g| g.to_string()).collect(),
        }
    }

    fn description(err: Error) -> (u16, OAuthErrorCode, String) {
        match err {
            Error::OAuth {
                status,
                code,
                description,
                ..
            } => (status, code, description),
            other => panic!("expected an OAuth error, got {other:?}"),
        }
    }

    #[test]
    fn a_grant_that_denies_organizations_refuses_one_before_anything_is_read() {
        let grant = grant(OrganizationUsage::Deny, true);
        let (status, code, text) =
            description(requested(Some("acme"), Some(&grant), Some(&client(None))).unwrap_err());
        assert_eq!((status, code), (400, OAuthErrorCode::InvalidRequest));
        assert_eq!(
            text,
            "parameter organization is not allowed for this client"
        );
        // Without one, nothing changes for it.
        assert_eq!(
            requested(None, Some(&grant), Some(&client(None))).unwrap(),
            None
        );
    }

    #[test]
    fn the_bootstrap_client_has_no_grant_and_so_no_organization() {
        assert!(requested(Some(ORG), None, None).is_err());
        assert_eq!(requested(None, None, None).unwrap(), None);
    }

    #[test]
    fn a_required_organization_comes_from_the_request_else_the_clients_default() {
        let grant = grant(OrganizationUsage::Require, false);
        let with_default = client(Some((ORG, &[CLIENT_CREDENTIALS_FLOW])));
        assert_eq!(
            requested(None, Some(&grant), Some(&with_default)).unwrap(),
            Some(ORG)
        );
        // The request's own organization wins over the default.
        assert_eq!(
            requested(Some("other"), Some(&grant), Some(&with_default)).unwrap(),
            Some("other")
        );
        // A default for other flows does not apply.
        let other_flows = client(Some((ORG, &["authorization_code"])));
        for client in [&other_flows, &client(None)] {
            let (status, _, text) =
                description(requested(None, Some(&grant), Some(client)).unwrap_err());
            assert_eq!(status, 400);
            assert_eq!(text, "parameter organization is required for this client");
        }
    }

    #[test]
    fn a_default_organization_applies_only_where_the_grant_requires_one() {
        let with_default = client(Some((ORG, &[CLIENT_CREDENTIALS_FLOW])));
        let optional = grant(OrganizationUsage::Allow, false);
        assert_eq!(
            requested(None, Some(&optional), Some(&with_default)).unwrap(),
            None
        );
        assert_eq!(
            requested(Some("acme"), Some(&optional), Some(&with_default)).unwrap(),
            Some("acme")
        );
    }

    #[test]
    fn an_unknown_organization_is_invalid_and_named() {
        let grant = grant(OrganizationUsage::Allow, true);
        let (status, code, text) =
            description(check("acme<script>", None, &grant, &client(None)).unwrap_err());
        assert_eq!((status, code), (400, OAuthErrorCode::InvalidRequest));
        assert!(
            text.starts_with("parameter organization is invalid: acme"),
            "{text}"
        );
    }

    #[test]
    fn a_grant_acts_for_linked_organizations_or_any_when_it_allows_any() {
        let linked = organization(&["cgr_1"]);
        let unlinked = organization(&["cgr_other"]);
        let client = client(None);
        assert!(check(
            ORG,
            Some(&linked),
            &grant(OrganizationUsage::Allow, false),
            &client
        )
        .is_ok());
        assert!(check(
            ORG,
            Some(&unlinked),
            &grant(OrganizationUsage::Allow, true),
            &client
        )
        .is_ok());
        let (status, code, text) = description(
            check(
                "acme",
                Some(&unlinked),
                &grant(OrganizationUsage::Require, false),
                &client,
            )
            .unwrap_err(),
        );
        assert_eq!((status, code), (403, OAuthErrorCode::AccessDenied));
        assert!(text.contains("for organization \"acme\""), "{text}");
    }

    #[test]
    fn a_third_party_client_must_be_linked_even_when_its_grant_allows_any() {
        let mut third_party = client(None);
        third_party.is_first_party = false;
        let any = grant(OrganizationUsage::Allow, true);
        assert!(check(ORG, Some(&organization(&[])), &any, &third_party).is_err());
        assert!(check(ORG, Some(&organization(&["cgr_1"])), &any, &third_party).is_ok());
    }
}
