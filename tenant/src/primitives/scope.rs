//! The `scope` parameter (RFC 6749 §3.3), bounded wherever it is
//! accepted: [`Scope`] is shared with the wire and the SPA.
//!
//! The bounds are what keep a request's cost independent of what it sends:
//! without them, 15,000 scopes in one token request took 144 ms to compare
//! and were echoed back as a 60 KB error.

pub use shared::scope::{is_scope_token, Scope, ScopeError, MAX_CHARS, MAX_TOKENS};

/// Most missing scopes an error names; the rest are counted.
const MAX_NAMED: usize = 10;

/// `scopes` for an error message: the first few, and how many more.
pub fn name_some(scopes: &[&str]) -> String {
    let named = scopes[..scopes.len().min(MAX_NAMED)].join(" ");
    match scopes.len().saturating_sub(MAX_NAMED) {
        0 => named,
        more => format!("{named} (and {more} more)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_name_a_bounded_number_of_scopes() {
        let scopes: Vec<String> = (0..200).map(|i| format!("scope:{i}")).collect();
        let refs: Vec<&str> = scopes.iter().map(String::as_str).collect();
        let named = name_some(&refs);
        assert!(named.ends_with("(and 190 more)"), "{named}");
        assert!(named.len() < 200, "{named}");
        assert_eq!(name_some(&["a", "b"]), "a b");
    }
}
