//! A signed-in session's tokens, kept fresh with its refresh token, in the
//! page's memory only (never `localStorage` or `sessionStorage`): they are
//! gone when the tab reloads or closes.
//!
//! Every caller asks [`Tokens::access_token`] for the token to send; one
//! due to expire within [`REFRESH_MARGIN_SECONDS`] is refreshed first. A
//! caller whose token an API refused (401) asks [`Tokens::after_rejection`]
//! for another. Refreshes are shared: a rotating refresh token may be used
//! once (a second use revokes its whole family), so every caller needing a
//! refresh at the same time waits for the one request in flight. Once the
//! tenant refuses a refresh, the session has ended, and every caller is
//! told so from then on; the page learns it through [`Tokens::on_end`], to
//! show the person signed out.
//!
//! The expiry is counted on this browser's clock from when the tokens
//! arrived, with their `expires_in`: a clock set wrong does not matter.
//!
//! The refresh itself (the request, the ID token's validation) and the
//! clock are given, so this is tested on the host.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use futures::future::{self, FutureExt as _, LocalBoxFuture, Shared};
use send_wrapper::SendWrapper;

use crate::auth::SignedIn;

/// Refresh when less than this remains of the access token's life.
pub const REFRESH_MARGIN_SECONDS: i64 = 60;

/// Why no fresh token could be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshError {
    /// The session is over: the tenant refused the refresh token (expired,
    /// revoked, reused), there is none, or the person signed out. Signing
    /// in again is the way on.
    Ended(String),
    /// The tenant could not be reached or failed (5xx); the refresh token
    /// is kept, and a later call tries again.
    Unavailable(String),
}

/// A refresh under way: the sign-in with its new tokens.
pub type Refresh = LocalBoxFuture<'static, Result<SignedIn, RefreshError>>;

/// A refresh in flight, which every caller needing one awaits.
pub type SharedRefresh = Shared<Refresh>;

/// The message of a session without a refresh token.
pub const NO_REFRESH_TOKEN: &str =
    "this sign-in has no refresh token, so its access token cannot be renewed";

/// The message once the person signed out.
pub const SIGNED_OUT: &str = "you signed out";

/// What [`Tokens::on_end`] is given.
type EndListener = Box<dyn Fn(&str)>;

struct Store {
    state: RefCell<State>,
    /// Sends the refresh of the sign-in given (its refresh token) and
    /// validates the answer.
    refresher: Box<dyn Fn(SignedIn) -> Refresh>,
    /// Seconds since the Unix epoch, by this browser's clock.
    clock: Box<dyn Fn() -> i64>,
    /// Told once why, when the tenant ends the session (not at sign-out).
    on_end: RefCell<Option<EndListener>>,
}

struct State {
    current: SignedIn,
    /// When `current` arrived, by `clock`.
    received_at: i64,
    in_flight: Option<SharedRefresh>,
    /// Why the session ended, once it has.
    ended: Option<String>,
    refreshes: u32,
}

impl State {
    /// Whether the access token expires within the margin.
    fn due(&self, now: i64) -> bool {
        self.current.expires_in.is_some_and(|expires_in| {
            let expires_at = self
                .received_at
                .saturating_add(i64::try_from(expires_in).unwrap_or(i64::MAX));
            now >= expires_at.saturating_sub(REFRESH_MARGIN_SECONDS)
        })
    }
}

/// The tokens of one signed-in session: a handle, cloned freely (the
/// clones share them). `Send` for Leptos' views; the page has one thread.
#[derive(Clone)]
pub struct Tokens(SendWrapper<Rc<Store>>);

impl Tokens {
    /// The tokens of `signed_in`, just received.
    pub fn new(
        signed_in: SignedIn,
        clock: impl Fn() -> i64 + 'static,
        refresher: impl Fn(SignedIn) -> Refresh + 'static,
    ) -> Self {
        let received_at = clock();
        Tokens(SendWrapper::new(Rc::new(Store {
            state: RefCell::new(State {
                current: signed_in,
                received_at,
                in_flight: None,
                ended: None,
                refreshes: 0,
            }),
            refresher: Box::new(refresher),
            clock: Box::new(clock),
            on_end: RefCell::new(None),
        })))
    }

    fn store(&self) -> &Rc<Store> {
        &self.0
    }

    /// The sign-in with its latest tokens.
    pub fn current(&self) -> SignedIn {
        self.store().state.borrow().current.clone()
    }

    /// Whether a refresh token is held (and the session has not ended).
    pub fn can_refresh(&self) -> bool {
        let state = self.store().state.borrow();
        state.ended.is_none() && state.current.refresh_token.is_some()
    }

    /// Tells `listener` why, once the tenant refuses a refresh (the session
    /// has then ended); signing out ([`Tokens::end`]) does not.
    pub fn on_end(&self, listener: impl Fn(&str) + 'static) {
        *self.store().on_end.borrow_mut() = Some(Box::new(listener));
    }

    /// How many refreshes succeeded.
    pub fn refreshes(&self) -> u32 {
        self.store().state.borrow().refreshes
    }

    /// The access token to send now: refreshed first when it expires
    /// within [`REFRESH_MARGIN_SECONDS`] and a refresh token is held.
    pub fn access_token(&self) -> LocalBoxFuture<'static, Result<String, RefreshError>> {
        let store = self.store();
        let now = (store.clock)();
        {
            let state = store.state.borrow();
            if let Some(why) = &state.ended {
                return future::ready(Err(RefreshError::Ended(why.clone()))).boxed_local();
            }
            // Join a refresh under way, or start one for a token about to
            // expire; without a refresh token the API decides.
            let refresh = state.in_flight.is_some()
                || (state.due(now) && state.current.refresh_token.is_some());
            if !refresh {
                return future::ready(Ok(state.current.access_token.clone())).boxed_local();
            }
        }
        let refresh = self.refresh();
        async move { refresh.await.map(|signed_in| signed_in.access_token) }.boxed_local()
    }

    /// Another access token after an API refused `rejected` (401): the
    /// current one if a refresh replaced `rejected` meanwhile, else a
    /// refresh's.
    pub fn after_rejection(
        &self,
        rejected: &str,
    ) -> LocalBoxFuture<'static, Result<String, RefreshError>> {
        {
            let state = self.store().state.borrow();
            if state.ended.is_none()
                && state.in_flight.is_none()
                && state.current.access_token != rejected
            {
                return future::ready(Ok(state.current.access_token.clone())).boxed_local();
            }
        }
        let refresh = self.refresh();
        async move { refresh.await.map(|signed_in| signed_in.access_token) }.boxed_local()
    }

    /// Refreshes now, or joins the refresh in flight: the sign-in with its
    /// new tokens, kept here for every later caller.
    pub fn refresh(&self) -> SharedRefresh {
        let store = Rc::clone(self.store());
        let signed_in = {
            let state = store.state.borrow();
            if let Some(in_flight) = &state.in_flight {
                return in_flight.clone();
            }
            if let Some(why) = &state.ended {
                return failed(RefreshError::Ended(why.clone()));
            }
            if state.current.refresh_token.is_none() {
                return failed(RefreshError::Ended(NO_REFRESH_TOKEN.into()));
            }
            state.current.clone()
        };
        let request = (store.refresher)(signed_in);
        let keeper = Rc::clone(&store);
        let refresh = async move {
            let result = request.await;
            let now = (keeper.clock)();
            {
                let mut state = keeper.state.borrow_mut();
                state.in_flight = None;
                if let Some(why) = &state.ended {
                    // Signed out meanwhile: nothing is kept.
                    return Err(RefreshError::Ended(why.clone()));
                }
                match &result {
                    Ok(signed_in) => {
                        state.current = signed_in.clone();
                        state.received_at = now;
                        state.refreshes += 1;
                    }
                    Err(RefreshError::Ended(why)) => {
                        state.ended = Some(why.clone());
                        state.current.refresh_token = None;
                    }
                    Err(RefreshError::Unavailable(_)) => {}
                }
            }
            // Told with the state released: the listener may read it.
            if let (Err(RefreshError::Ended(why)), Some(listener)) =
                (&result, keeper.on_end.borrow().as_ref())
            {
                listener(why);
            }
            result
        }
        .boxed_local()
        .shared();
        store.state.borrow_mut().in_flight = Some(refresh.clone());
        refresh
    }

    /// Ends the session in this page (signing out): no refresh is made
    /// from now on, and the refresh token, if any, is handed over to be
    /// revoked.
    pub fn end(&self) -> Option<String> {
        let mut state = self.store().state.borrow_mut();
        state.ended = Some(SIGNED_OUT.into());
        state.in_flight = None;
        state.current.refresh_token.take()
    }
}

fn failed(error: RefreshError) -> SharedRefresh {
    future::ready(Err(error)).boxed_local().shared()
}

/// Two handles are equal when they share the same tokens.
impl PartialEq for Tokens {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(self.store(), other.store())
    }
}

/// Never the tokens themselves.
impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.store().state.borrow();
        f.debug_struct("Tokens")
            .field("refreshes", &state.refreshes)
            .field("has_refresh_token", &state.current.refresh_token.is_some())
            .field("ended", &state.ended)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use futures::channel::oneshot;
    use futures::executor::LocalPool;
    use futures::task::LocalSpawnExt as _;
    use serde_json::Map;

    use super::*;

    const T0: i64 = 1_750_000_000;

    fn signed_in(access_token: &str, refresh_token: Option<&str>) -> SignedIn {
        SignedIn {
            id_token: "id".into(),
            access_token: access_token.into(),
            token_type: "Bearer".into(),
            expires_in: Some(3600),
            scope: None,
            id_claims: Map::new(),
            access_claims: None,
            refresh_token: refresh_token.map(str::to_owned),
        }
    }

    /// A tenant whose refreshes the test answers: each request waits for
    /// its answer on a channel; `sent` records the refresh tokens sent.
    #[derive(Default)]
    struct Tenant {
        sent: RefCell<Vec<String>>,
        answers: RefCell<Vec<oneshot::Sender<Result<SignedIn, RefreshError>>>>,
    }

    impl Tenant {
        fn answer(&self, result: Result<SignedIn, RefreshError>) {
            let sender = self.answers.borrow_mut().remove(0);
            assert!(sender.send(result).is_ok(), "the refresh is awaited");
        }
    }

    struct Setup {
        tokens: Tokens,
        tenant: Rc<Tenant>,
        now: Rc<Cell<i64>>,
    }

    fn setup(initial: SignedIn) -> Setup {
        let tenant = Rc::new(Tenant::default());
        let now = Rc::new(Cell::new(T0));
        let clock = {
            let now = Rc::clone(&now);
            move || now.get()
        };
        let refresher = {
            let tenant = Rc::clone(&tenant);
            move |current: SignedIn| -> Refresh {
                tenant
                    .sent
                    .borrow_mut()
                    .push(current.refresh_token.clone().unwrap_or_default());
                let (sender, receiver) = oneshot::channel();
                tenant.answers.borrow_mut().push(sender);
                async move { receiver.await.expect("answered") }.boxed_local()
            }
        };
        Setup {
            tokens: Tokens::new(initial, clock, refresher),
            tenant,
            now,
        }
    }

    /// Runs `future` on `pool`, its output in the returned cell once done.
    fn spawn<T: 'static>(
        pool: &LocalPool,
        future: LocalBoxFuture<'static, T>,
    ) -> Rc<RefCell<Option<T>>> {
        let output = Rc::new(RefCell::new(None));
        let slot = Rc::clone(&output);
        pool.spawner()
            .spawn_local(async move {
                *slot.borrow_mut() = Some(future.await);
            })
            .unwrap();
        output
    }

    #[test]
    fn a_fresh_token_is_used_as_it_is() {
        let s = setup(signed_in("at-1", Some("rt-1")));
        s.now.set(T0 + 3600 - REFRESH_MARGIN_SECONDS - 1);
        let token = futures::executor::block_on(s.tokens.access_token());
        assert_eq!(token, Ok("at-1".into()));
        assert!(s.tenant.sent.borrow().is_empty(), "no refresh");
    }

    #[test]
    fn a_token_about_to_expire_is_refreshed_first_and_the_rotated_token_kept() {
        let s = setup(signed_in("at-1", Some("rt-1")));
        let mut pool = LocalPool::new();
        s.now.set(T0 + 3600 - REFRESH_MARGIN_SECONDS);
        let first = spawn(&pool, s.tokens.access_token());
        pool.run_until_stalled();
        assert_eq!(*s.tenant.sent.borrow(), ["rt-1"]);
        assert_eq!(*first.borrow(), None, "waits for the refresh");
        s.tenant.answer(Ok(signed_in("at-2", Some("rt-2"))));
        pool.run_until_stalled();
        assert_eq!(*first.borrow(), Some(Ok("at-2".into())));
        assert_eq!(s.tokens.current().refresh_token.as_deref(), Some("rt-2"));
        assert_eq!(s.tokens.refreshes(), 1);

        // The new token's life counts from its arrival; the next refresh
        // sends the rotated refresh token.
        assert_eq!(
            futures::executor::block_on(s.tokens.access_token()),
            Ok("at-2".into())
        );
        s.now.set(s.now.get() + 3600);
        let later = spawn(&pool, s.tokens.access_token());
        pool.run_until_stalled();
        assert_eq!(*s.tenant.sent.borrow(), ["rt-1", "rt-2"]);
        s.tenant.answer(Ok(signed_in("at-3", Some("rt-3"))));
        pool.run_until_stalled();
        assert_eq!(*later.borrow(), Some(Ok("at-3".into())));
    }

    #[test]
    fn callers_needing_a_refresh_at_once_share_one_request() {
        let s = setup(signed_in("at-1", Some("rt-1")));
        let mut pool = LocalPool::new();
        s.now.set(T0 + 4000);
        let a = spawn(&pool, s.tokens.access_token());
        let b = spawn(&pool, s.tokens.access_token());
        let c = spawn(&pool, s.tokens.after_rejection("at-1"));
        pool.run_until_stalled();
        assert_eq!(
            *s.tenant.sent.borrow(),
            ["rt-1"],
            "one refresh request, never the same refresh token twice"
        );
        s.tenant.answer(Ok(signed_in("at-2", Some("rt-2"))));
        pool.run_until_stalled();
        for answer in [a, b, c] {
            assert_eq!(*answer.borrow(), Some(Ok("at-2".into())));
        }
        assert_eq!(s.tokens.refreshes(), 1);
    }

    #[test]
    fn a_rejected_token_is_refreshed_unless_a_refresh_replaced_it_already() {
        let s = setup(signed_in("at-1", Some("rt-1")));
        let mut pool = LocalPool::new();
        let refreshed = spawn(&pool, s.tokens.after_rejection("at-1"));
        pool.run_until_stalled();
        assert_eq!(*s.tenant.sent.borrow(), ["rt-1"]);
        s.tenant.answer(Ok(signed_in("at-2", Some("rt-2"))));
        pool.run_until_stalled();
        assert_eq!(*refreshed.borrow(), Some(Ok("at-2".into())));

        // A call that was sent with at-1 before the refresh and refused
        // after it gets at-2 without another refresh.
        let late = futures::executor::block_on(s.tokens.after_rejection("at-1"));
        assert_eq!(late, Ok("at-2".into()));
        assert_eq!(s.tenant.sent.borrow().len(), 1);
    }

    #[test]
    fn a_refused_refresh_ends_the_session_for_every_caller() {
        let s = setup(signed_in("at-1", Some("rt-1")));
        let told = Rc::new(RefCell::new(Vec::<String>::new()));
        s.tokens.on_end({
            let told = Rc::clone(&told);
            let tokens = s.tokens.clone();
            move |why| {
                assert!(!tokens.can_refresh(), "the state is readable and ended");
                told.borrow_mut().push(why.to_owned());
            }
        });
        let mut pool = LocalPool::new();
        s.now.set(T0 + 4000);
        let a = spawn(&pool, s.tokens.access_token());
        let b = spawn(&pool, s.tokens.access_token());
        pool.run_until_stalled();
        let ended = RefreshError::Ended("invalid_grant".into());
        s.tenant.answer(Err(ended.clone()));
        pool.run_until_stalled();
        assert_eq!(*a.borrow(), Some(Err(ended.clone())));
        assert_eq!(*b.borrow(), Some(Err(ended.clone())));
        assert_eq!(*told.borrow(), ["invalid_grant"], "the page is told once");
        assert!(!s.tokens.can_refresh());
        assert_eq!(
            s.tokens.current().refresh_token,
            None,
            "the dead token is dropped"
        );
        // No further attempt: the family may be revoked, and a retry would
        // only say so again.
        assert_eq!(
            futures::executor::block_on(s.tokens.access_token()),
            Err(ended.clone())
        );
        assert_eq!(
            futures::executor::block_on(s.tokens.after_rejection("at-1")),
            Err(ended)
        );
        assert_eq!(s.tenant.sent.borrow().len(), 1);
    }

    #[test]
    fn an_unreachable_tenant_keeps_the_refresh_token_for_a_later_try() {
        let s = setup(signed_in("at-1", Some("rt-1")));
        let mut pool = LocalPool::new();
        s.now.set(T0 + 4000);
        let a = spawn(&pool, s.tokens.access_token());
        pool.run_until_stalled();
        let offline = RefreshError::Unavailable("Failed to fetch".into());
        s.tenant.answer(Err(offline.clone()));
        pool.run_until_stalled();
        assert_eq!(*a.borrow(), Some(Err(offline)));
        assert!(s.tokens.can_refresh());
        let b = spawn(&pool, s.tokens.access_token());
        pool.run_until_stalled();
        assert_eq!(*s.tenant.sent.borrow(), ["rt-1", "rt-1"]);
        s.tenant.answer(Ok(signed_in("at-2", Some("rt-2"))));
        pool.run_until_stalled();
        assert_eq!(*b.borrow(), Some(Ok("at-2".into())));
    }

    #[test]
    fn without_a_refresh_token_the_token_is_used_until_refused() {
        let s = setup(signed_in("at-1", None));
        s.now.set(T0 + 4000);
        assert_eq!(
            futures::executor::block_on(s.tokens.access_token()),
            Ok("at-1".into()),
            "the API decides"
        );
        assert_eq!(
            futures::executor::block_on(s.tokens.after_rejection("at-1")),
            Err(RefreshError::Ended(NO_REFRESH_TOKEN.into()))
        );
        assert!(s.tenant.sent.borrow().is_empty());
    }

    #[test]
    fn signing_out_hands_over_the_refresh_token_and_keeps_nothing_after() {
        let s = setup(signed_in("at-1", Some("rt-1")));
        let told = Rc::new(Cell::new(false));
        s.tokens.on_end({
            let told = Rc::clone(&told);
            move |_| told.set(true)
        });
        let mut pool = LocalPool::new();
        s.now.set(T0 + 4000);
        let a = spawn(&pool, s.tokens.access_token());
        pool.run_until_stalled();
        assert_eq!(s.tokens.end(), Some("rt-1".into()));
        assert_eq!(s.tokens.end(), None, "handed over once");
        // The refresh in flight answers after the sign-out: not kept.
        s.tenant.answer(Ok(signed_in("at-2", Some("rt-2"))));
        pool.run_until_stalled();
        let signed_out = RefreshError::Ended(SIGNED_OUT.into());
        assert_eq!(*a.borrow(), Some(Err(signed_out.clone())));
        assert!(
            !told.get(),
            "signing out is not the tenant ending the session"
        );
        assert_eq!(s.tokens.current().refresh_token, None);
        assert_eq!(
            futures::executor::block_on(s.tokens.access_token()),
            Err(signed_out)
        );
    }

    #[test]
    fn debug_never_shows_a_token() {
        let s = setup(signed_in("secret-access", Some("secret-refresh")));
        let shown = format!("{:?}", s.tokens);
        assert!(!shown.contains("secret"), "{shown}");
        assert_eq!(s.tokens.clone(), s.tokens);
    }
}
