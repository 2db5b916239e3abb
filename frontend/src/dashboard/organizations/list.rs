//! `/dashboard/organizations`: the list, and creating an organization.

use leptos::prelude::*;
use shared::organizations::{Organization, OrganizationCreate};

use super::not_allowed;
use crate::dashboard::admin;
use crate::dashboard::listing::Listing;
use crate::dashboard::model::{optional, organization_path, OrgTab, Section};
use crate::dashboard::widgets::{CreateForm, FormError, GeneralError, TextField};
use crate::loading::Task;
use crate::route::{use_location, Link};

/// `/dashboard/organizations`.
#[component]
pub fn OrganizationsPage() -> impl IntoView {
    let admin = admin();
    if !admin.can(Section::Organizations.read_scope()) {
        return not_allowed();
    }
    let api = admin.api.clone();
    view! {
        <section data-testid="organizations-page">
            <div class="page-head">
                <h1>"Organizations"</h1>
                {admin.can("create:organizations").then(|| view! { <CreateOrganization /> })}
            </div>
            <Listing
                testid="organizations"
                busy="Loading organizations…"
                columns=&["Name", "Display Name", "ID"]
                fetch=move |page, _| api.list_organizations(page)
                row=organization_row
            />
        </section>
    }
    .into_any()
}

fn organization_row(organization: Organization) -> AnyView {
    let href = organization_path(&organization.id, OrgTab::Settings);
    let id = organization.id.clone();
    view! {
        <tr data-testid="organization-row" data-organization-id=id>
            <td>
                <Link href testid="organization-link">
                    {organization.name}
                </Link>
            </td>
            <td>{organization.display_name}</td>
            <td>
                <code>{organization.id}</code>
            </td>
        </tr>
    }
    .into_any()
}

#[component]
fn CreateOrganization() -> impl IntoView {
    let name = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let error = FormError::new();
    let location = use_location();
    let api = admin().api;
    let create = Task::new();
    let submit = Callback::new(move |()| {
        error.clear();
        let request = OrganizationCreate {
            name: name.get_untracked().trim().to_owned(),
            display_name: optional(&display_name.get_untracked()),
            ..Default::default()
        };
        create.run(
            api.create_organization(&request),
            move |created| match created {
                Ok(created) => location.open(&organization_path(&created.id, OrgTab::Settings)),
                Err(err) => error.set(err),
            },
        );
    });

    view! {
        <CreateForm
            what="Organization"
            title="Create Organization"
            testid="create-organization"
            busy=create.pending()
            on_submit=submit
        >
            <GeneralError error fields=&["name", "display_name"] />
            <TextField
                field="name"
                label="Name"
                value=name
                error
                hint="How applications name it, e.g. acme: 1 to 50 lowercase letters, digits, - and _."
            />
            <TextField
                field="display_name"
                label="Display Name (optional)"
                value=display_name
                error
                hint="What people see, e.g. Acme Corporation."
            />
        </CreateForm>
    }
}
