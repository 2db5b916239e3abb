//! Browser entry point of the sample client (`/`, `/callback`): installs the
//! panic hook and mounts it.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(frontend::sample_client::App);
}
