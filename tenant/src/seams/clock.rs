//! Time, injected so token lifetimes and expiry are testable.

use std::cell::Cell;

pub trait Clock {
    /// Seconds since the Unix epoch.
    fn now(&self) -> u64;

    /// Milliseconds since the Unix epoch, where the clock has them.
    fn now_millis(&self) -> u64 {
        self.now().saturating_mul(1000)
    }
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
    rfc3339_millis(unix_seconds.saturating_mul(1000))
}

/// RFC 3339 UTC timestamp, to the millisecond.
pub fn rfc3339_millis(unix_millis: u64) -> String {
    chrono::DateTime::from_timestamp_millis(unix_millis.min(i64::MAX as u64) as i64)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
