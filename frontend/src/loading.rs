//! How the SPA waits for answers, in both bundles: [`load`] for what a
//! page shows (fetched again whenever a signal it reads changes, the latest
//! request's answer winning) and [`Task`] for a call a person starts with a
//! button or a form (pending while it runs, its answer dropped if the
//! component is gone by then).
//!
//! Why not Leptos' `LocalResource` and `Action` with `<Transition>`, the
//! idiom of its examples: each of those is generic over its future, so
//! every call compiles its own copy of the async machinery (an async
//! derived signal per answer type, its scoped future, suspense tracking).
//! Here the only code that depends on the answer's type is [`deliver`], a
//! few instructions; what runs and replaces requests is written once, for
//! boxed futures ([`Reply`]). Measured on the sample client, whose three
//! loads are the same either way: with `LocalResource` its first load is
//! 10.5 KiB gzip larger. A page that only shows what it loaded makes the
//! answer its view as it arrives ([`load_view`]), so that all those pages
//! share one signal type and one view of it.
//!
//! Every view of a loaded value reads the signal as it is: `None` while
//! the first answer is on its way, then `Ok` or `Err`.

use std::future::Future;
use std::pin::Pin;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{ApiError, Reply};

/// Work to run once an answer arrived (the answer moved in already).
type Then = Box<dyn FnOnce()>;
/// A request whose answer, once here, is handed to its receiver.
type Pending = Pin<Box<dyn Future<Output = Then>>>;

/// `reply`, with what to do with its answer: the part of a request that
/// depends on its type, kept small so that what runs it is written once.
fn deliver<T: 'static, E: 'static>(
    reply: Reply<T, E>,
    to: impl FnOnce(Result<T, E>) + 'static,
) -> Pending {
    Box::pin(async move {
        let answer = reply.await;
        Box::new(move || to(answer)) as Then
    })
}

/// A call a button or form starts: pending while it runs; its answer is
/// handled only if the component that started it is still on the page.
#[derive(Debug, Clone, Copy)]
pub struct Task(RwSignal<u32>);

impl Task {
    pub fn new() -> Self {
        Self(RwSignal::new(0))
    }

    /// Whether a call is in progress (tracked).
    pub fn is_pending(self) -> bool {
        self.0.get() > 0
    }

    pub fn pending(self) -> Signal<bool> {
        Signal::derive(move || self.is_pending())
    }

    /// Runs `reply` and hands its answer to `then`.
    pub fn run<T: 'static>(
        self,
        reply: Reply<T>,
        then: impl FnOnce(Result<T, ApiError>) + 'static,
    ) {
        self.start(deliver(reply, then));
    }

    fn start(self, request: Pending) {
        let in_flight = self.0;
        in_flight.update(|n| *n += 1);
        spawn_local(async move {
            let then = request.await;
            if !in_flight.is_disposed() {
                in_flight.update(|n| *n -= 1);
                then();
            }
        });
    }
}

impl Default for Task {
    fn default() -> Self {
        Self::new()
    }
}

/// What a page loaded: `None` until the first answer.
pub type Loaded<T, E = ApiError> = RwSignal<Option<Result<T, E>>>;

/// Loads `fetch()` now and again whenever a signal it reads changes; the
/// previous answer stays on screen meanwhile, and an answer to a request
/// since replaced is dropped.
pub fn load<T, E>(fetch: impl Fn() -> Reply<T, E> + 'static) -> Loaded<T, E>
where
    T: Send + Sync + 'static,
    E: Send + Sync + 'static,
{
    load_with_progress(RwSignal::new(false), fetch)
}

/// [`load`], with `loading` true while a request is in progress.
pub fn load_with_progress<T, E>(
    loading: RwSignal<bool>,
    fetch: impl Fn() -> Reply<T, E> + 'static,
) -> Loaded<T, E>
where
    T: Send + Sync + 'static,
    E: Send + Sync + 'static,
{
    let loaded = RwSignal::new(None);
    watch(
        loading,
        Box::new(move || deliver(fetch(), move |answer| loaded.set(Some(answer)))),
    );
    loaded
}

/// [`load`], each answer made into its view as it arrives: what holds and
/// shows a loaded view is then the same code whatever was loaded.
pub fn load_view<T>(
    fetch: impl Fn() -> Reply<T> + 'static,
    view: impl Fn(T) -> AnyView + Clone + Send + Sync + 'static,
) -> Loaded<ViewFn>
where
    T: Clone + Send + Sync + 'static,
{
    load(move || {
        let (reply, view) = (fetch(), view.clone());
        Box::pin(async move {
            let answer = reply.await?;
            Ok(ViewFn::from(move || view(answer.clone())))
        }) as Reply<ViewFn>
    })
}

/// What a page shows by id: `None` while loading, fetched again whenever
/// the id changes.
pub fn load_by_id<T: Send + Sync + 'static>(
    id: Memo<String>,
    fetch: impl Fn(&str) -> Reply<T> + 'static,
) -> Loaded<T> {
    let loaded = RwSignal::new(None);
    watch(
        RwSignal::new(false),
        Box::new(move || {
            let request = id.with(|id| fetch(id));
            loaded.set(None);
            deliver(request, move |answer| loaded.set(Some(answer)))
        }),
    );
    loaded
}

/// Runs `request()` whenever what it reads changes; only the latest
/// request's answer is delivered.
fn watch(loading: RwSignal<bool>, request: Box<dyn Fn() -> Pending>) {
    let latest = StoredValue::new(0u32);
    Effect::new(move |_| {
        let pending = request();
        let this = latest.with_value(|n| n.wrapping_add(1));
        latest.set_value(this);
        loading.set(true);
        spawn_local(async move {
            let then = pending.await;
            if latest.try_get_value() == Some(this) {
                loading.set(false);
                then();
            }
        });
    });
}

/// The loaded value, untracked; a page's parts render only once it is
/// loaded.
pub fn current<T: Clone + Send + Sync + 'static>(loaded: Loaded<T>) -> Option<T> {
    loaded.with_untracked(|l| l.as_ref()?.as_ref().ok().cloned())
}

/// Part of the loaded value (tracked); `None` until it is loaded.
pub fn loaded_part<T: Send + Sync + 'static, U>(
    loaded: Loaded<T>,
    part: impl Fn(&T) -> U,
) -> Option<U> {
    loaded.with(|l| l.as_ref()?.as_ref().ok().map(part))
}
