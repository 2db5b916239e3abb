//! Moving between the pages of a bundle without loading them: the address
//! as a signal ([`Location`]), [`Link`] and [`Redirect`]. Each bundle names
//! its few pages itself, as a `match` on the path's [segments]
//! (`sample_client::App`, `dashboard::model::Route`): a general router
//! (leptos_router, whose route tree is compiled per view type) cost the
//! Dashboard 51 KiB gzip, a fifth of its first load, for the same ten
//! addresses.
//!
//! The sample client and the Dashboard are separate bundles (`index.html`
//! loads one by the path, see [`in_dashboard`]): a link from one to the
//! other is left to the browser, which loads the other.

use leptos::ev::MouseEvent;
use leptos::prelude::*;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::browser;

/// The path this tab shows, followed through links, redirects and the
/// back and forward buttons.
#[derive(Debug, Clone, Copy)]
pub struct Location(RwSignal<String>);

impl Location {
    /// Follows the address bar from now on, and provides it to the app's
    /// components ([`use_location`]).
    pub fn provide() -> Self {
        let location = Location(RwSignal::new(browser::pathname()));
        browser::on_history_move(move || location.0.set(browser::pathname()));
        provide_context(location);
        location
    }

    /// The path's segments, decoded (tracked).
    pub fn segments(self) -> Vec<String> {
        self.0.with(|path| segments(path))
    }

    /// The path's segment at `index`, decoded, or empty (tracked).
    pub fn segment(self, index: usize) -> String {
        self.segments().into_iter().nth(index).unwrap_or_default()
    }

    /// Shows `path` of this bundle, in a new history entry.
    pub fn open(self, path: &str) {
        self.show(path, false);
    }

    /// Shows `path` of this bundle in place of the current history entry.
    pub fn replace(self, path: &str) {
        self.show(path, true);
    }

    fn show(self, path: &str, replace: bool) {
        browser::show_path(path, replace);
        // As the browser keeps it, as the back button will give it.
        self.0.set(browser::pathname());
    }
}

/// The [`Location`] the app provides.
pub fn use_location() -> Location {
    expect_context()
}

/// Whether `path` is the Dashboard's: `index.html` loads the Dashboard's
/// bundle for these paths, the sample client's for every other.
pub fn in_dashboard(path: &str) -> bool {
    path.strip_prefix("/dashboard")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Whether a link to `href` leads to the page at `path` or to one under it
/// (it is then the link's `aria-current` page).
pub fn leads_to(href: &str, path: &str) -> bool {
    path.strip_prefix(href)
        .is_some_and(|rest| rest.is_empty() || (href != "/" && rest.starts_with('/')))
}

/// A path's segments, percent-decoded; empty ones (`//`, a trailing `/`)
/// are skipped.
pub fn segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|segment| !segment.is_empty())
        .map(|segment| percent_decode_str(segment).decode_utf8_lossy().into_owned())
        .collect()
}

/// A path segment (ids such as `auth0|…` or an API's id), percent-encoded.
pub fn encode_segment(segment: &str) -> String {
    const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    utf8_percent_encode(segment, SEGMENT).to_string()
}

/// A link to a page, followed without a page load when the page is in this
/// bundle; a click with a modifier key or another button is the browser's
/// (a new tab or window). `testid` and `class` are the `<a>`'s: props
/// rather than attributes spread onto a component (`attr:`), whose
/// type-erased machinery cost the Dashboard 2 KiB.
#[component]
pub fn Link(
    #[prop(into)] href: String,
    #[prop(optional, into)] testid: Option<String>,
    #[prop(optional)] class: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    let location = use_location();
    let current = {
        let href = href.clone();
        move || {
            location
                .0
                .with(|path| leads_to(&href, path))
                .then_some("page")
        }
    };
    let follow = {
        let href = href.clone();
        move |ev: MouseEvent| {
            let plain = ev.button() == 0
                && !(ev.ctrl_key() || ev.meta_key() || ev.shift_key() || ev.alt_key());
            let here = location
                .0
                .with_untracked(|path| in_dashboard(path) == in_dashboard(&href));
            if plain && here {
                ev.prevent_default();
                location.open(&href);
            }
        }
    };
    view! {
        <a href=href class=class data-testid=testid aria-current=current on:click=follow>
            {children()}
        </a>
    }
}

/// Opens `to` once on the page, in a new history entry.
#[component]
pub fn Redirect(#[prop(into)] to: String) -> impl IntoView {
    let location = use_location();
    Effect::new(move |_| location.open(&to));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_decoded_and_empty_ones_skipped() {
        assert_eq!(
            segments("/dashboard/users/auth0%7Ca%20b%2Fc/"),
            vec!["dashboard", "users", "auth0|a b/c"]
        );
        assert!(segments("/").is_empty());
        assert_eq!(encode_segment("auth0|a b/c"), "auth0%7Ca%20b%2Fc");
        assert_eq!(
            segments(&format!("/{}", encode_segment("x/y"))),
            vec!["x/y"]
        );
    }

    #[test]
    fn the_dashboard_owns_its_paths_and_no_other() {
        assert!(in_dashboard("/dashboard"));
        assert!(in_dashboard("/dashboard/users/x"));
        assert!(!in_dashboard("/dashboards"));
        assert!(!in_dashboard("/"));
        assert!(!in_dashboard("/callback"));
    }

    #[test]
    fn a_link_leads_to_its_page_and_those_under_it() {
        assert!(leads_to("/dashboard/apis", "/dashboard/apis"));
        assert!(leads_to("/dashboard/apis", "/dashboard/apis/abc"));
        assert!(!leads_to("/dashboard/apis", "/dashboard/apisx"));
        assert!(!leads_to("/dashboard/apis/abc", "/dashboard/apis"));
        assert!(leads_to("/", "/"));
        assert!(!leads_to("/", "/callback"));
    }
}
