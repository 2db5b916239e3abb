//! Names and free text: what the tenant accepts in them, so that a name on
//! a hosted page reads as what it is.

use crate::error::{Error, Result};

/// Characters no name or free text of the tenant may hold: controls and
/// markup, as Auth0 refuses, and the invisible ones that make a name read
/// as another on the hosted pages: bidirectional overrides and isolates
/// (the "Trojan Source" characters, CVE-2021-42574), marks, zero-width
/// spaces, line separators and Unicode tags. The zero-width joiners that
/// some scripts and emoji need stay allowed.
pub fn is_forbidden_in_text(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '<' | '>'
                | '\u{00AD}'
                | '\u{061C}'
                | '\u{180E}'
                | '\u{200B}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{E0000}'..='\u{E007F}'
        )
}

/// Rejects characters Auth0 does not allow in names and free text.
pub(crate) fn check_text(field: &str, value: &str, min: usize, max: usize) -> Result<()> {
    let len = value.chars().count();
    if len < min || len > max {
        return Err(Error::invalid_field(
            field,
            format!("must be {min} to {max} characters long"),
        ));
    }
    if value.chars().any(is_forbidden_in_text) {
        return Err(Error::invalid_field(
            field,
            "contains characters that are not allowed",
        ));
    }
    Ok(())
}
