//! Time, injected so token lifetimes and expiry are testable.

use std::cell::Cell;

pub trait Clock {
    /// Seconds since the Unix epoch.
    fn now(&self) -> u64;
}

/// A clock that stands still until told to move.
#[derive(Debug, Default)]
pub struct FixedClock(Cell<u64>);

impl FixedClock {
    pub fn at(now: u64) -> Self {
        Self(Cell::new(now))
    }

    pub fn advance(&self, seconds: u64) {
        self.0.set(self.0.get() + seconds);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> u64 {
        self.0.get()
    }
}

/// RFC 3339 UTC timestamp for `created_at` fields.
pub fn rfc3339(unix_seconds: u64) -> String {
    chrono::DateTime::from_timestamp(unix_seconds as i64, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
