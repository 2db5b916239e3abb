//! An OAuth 2.0 `scope` (RFC 6749 §3.3): distinct scope tokens of
//! printable ASCII other than space, `"` and `\`, in the order first given,
//! written space-separated on the wire. Parsed once, then compared as a
//! set: a grant covers a request when the request is a subset of it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Most characters a `scope` parameter may have: 8 KiB holds every scope
/// an API may define at ordinary lengths.
pub const MAX_CHARS: usize = 8 * 1024;
/// Most distinct scope tokens one request may ask for: every scope an API
/// can define, plus the OpenID Connect ones.
pub const MAX_TOKENS: usize = 256;

/// Why a `scope` parameter is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeError {
    TooLong,
    InvalidCharacters,
}

impl ScopeError {
    pub fn description(self) -> String {
        match self {
            Self::TooLong => format!(
                "The scope parameter is too long: at most {MAX_TOKENS} scopes and {MAX_CHARS} characters"
            ),
            Self::InvalidCharacters => "The scope contains invalid characters".to_string(),
        }
    }
}

/// RFC 6749 §3.3: `scope-token = 1*NQCHAR`.
pub fn is_scope_token(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
}

/// Distinct scope tokens, in the order first given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope(Vec<String>);

impl Scope {
    /// A `scope` parameter as a client sends it: runs of spaces are
    /// tolerated, repeats dropped, and the bounds checked before any token
    /// is looked at, so its cost does not depend on what is sent.
    pub fn parse(value: &str) -> Result<Self, ScopeError> {
        if value.len() > MAX_CHARS {
            return Err(ScopeError::TooLong);
        }
        let mut scope = Self::default();
        for token in value.split(' ').filter(|t| !t.is_empty()) {
            if !is_scope_token(token) {
                return Err(ScopeError::InvalidCharacters);
            }
            if scope.contains(token) {
                continue;
            }
            if scope.0.len() == MAX_TOKENS {
                return Err(ScopeError::TooLong);
            }
            scope.0.push(token.to_string());
        }
        Ok(scope)
    }

    /// The scope of something the tenant made itself, such as the `scope`
    /// claim of a token it signed: split on spaces, nothing refused.
    pub fn of_trusted(value: &str) -> Self {
        value.split(' ').filter(|t| !t.is_empty()).collect()
    }

    pub fn contains(&self, token: &str) -> bool {
        self.0.iter().any(|t| t == token)
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether every token of this scope is in `other`.
    pub fn is_subset_of(&self, other: &Scope) -> bool {
        self.iter().all(|token| other.contains(token))
    }

    /// The tokens of this scope that `other` lacks, in order.
    pub fn missing_from<'a>(&'a self, other: &Scope) -> Vec<&'a str> {
        self.iter().filter(|token| !other.contains(token)).collect()
    }

    /// Keeps the tokens `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        self.0.retain(|token| keep(token));
    }

    /// This scope's tokens, then `other`'s that it lacks.
    pub fn union(&self, other: &Scope) -> Scope {
        self.iter().chain(other.iter()).collect()
    }
}

impl<S: AsRef<str>> FromIterator<S> for Scope {
    fn from_iter<I: IntoIterator<Item = S>>(tokens: I) -> Self {
        let mut scope = Scope::default();
        for token in tokens {
            let token = token.as_ref();
            if !scope.contains(token) {
                scope.0.push(token.to_string());
            }
        }
        scope
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

impl Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        Scope::parse(&value).map_err(|err| serde::de::Error::custom(err.description()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_split_on_spaces_and_deduplicated_in_order() {
        let scope = Scope::parse("b  a b c").unwrap();
        assert_eq!(scope.iter().collect::<Vec<_>>(), ["b", "a", "c"]);
        assert_eq!(scope.to_string(), "b a c");
        assert!(Scope::parse("").unwrap().is_empty());
    }

    #[test]
    fn characters_outside_nqchar_are_refused() {
        for bad in ["a\"b", "a\\b", "caf\u{e9}", "a\tb", "a\nb"] {
            assert_eq!(
                Scope::parse(bad),
                Err(ScopeError::InvalidCharacters),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_bounds_hold_for_count_and_length() {
        let many: Vec<String> = (0..MAX_TOKENS).map(|i| format!("s{i}")).collect();
        assert_eq!(Scope::parse(&many.join(" ")).unwrap().len(), MAX_TOKENS);
        let too_many = format!("{} extra", many.join(" "));
        assert_eq!(Scope::parse(&too_many), Err(ScopeError::TooLong));
        // Repeats do not count against the bound...
        let repeated = vec!["a"; 4_000].join(" ");
        assert_eq!(Scope::parse(&repeated).unwrap().len(), 1);
        // ...but the length does.
        let fifteen_thousand = vec!["a"; 15_000].join(" ");
        assert_eq!(Scope::parse(&fifteen_thousand), Err(ScopeError::TooLong));
    }

    #[test]
    fn scopes_compare_as_sets() {
        let granted = Scope::parse("read write admin").unwrap();
        let asked = Scope::parse("write read").unwrap();
        assert!(asked.is_subset_of(&granted));
        assert!(!granted.is_subset_of(&asked));
        assert_eq!(granted.missing_from(&asked), ["admin"]);
        assert_eq!(asked.union(&granted).to_string(), "write read admin");
    }
}
