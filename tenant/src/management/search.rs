//! User search (`GET /api/v2/users?q=`): the part of Auth0's query syntax
//! an index can answer, turned into SQL on indexes only. The rarest term
//! drives: its index is read in order, so a page is read without sorting
//! the matches and stops once it is full, and the others are checked on
//! the rows it finds; the count stops at [`MAX_RESULTS`]. So a search costs
//! the same few statements (two, and one capped count per term when there
//! are several), and reads about a page of rows, whatever the number of
//! users; only terms that each match many users but rarely together read
//! more (up to the rarer's matches).
//!
//! A query is one or more terms, all of which must match (`AND` may be
//! written between them):
//! - `email:ada@example.com`, `name:"Ada Lovelace"`, `nickname:ada`,
//!   `user_id:auth0|...`: the field is that value (email and names
//!   whatever the case);
//! - the same with a trailing `*`: the field starts with it;
//! - a bare word (`lovelace`, `example.com`): some word of the user's
//!   name, nickname, given or family name or email starts with it ([`terms`]).
//!
//! Anything else (`OR`, `NOT`, ranges, leading wildcards, other fields) is
//! refused with a clear 400 rather than answered by reading every user.

use crate::error::{echo, Error, ManagementErrorCode, Result};
use crate::management::Paging;
use crate::seams::database::{Statement, Value};

/// As Auth0: paging reaches the first 1000 results of a listing or search.
pub const MAX_RESULTS: u64 = 1000;
/// Most terms in one query.
pub const MAX_TERMS: usize = 5;
/// Longest query.
pub const MAX_QUERY_LEN: usize = 512;
/// Longest word kept for a user, and most words.
const MAX_TERM_LEN: usize = 64;
const MAX_USER_TERMS: usize = 64;
/// Above every character: `prefix || LAST` bounds the strings starting
/// with `prefix`.
const LAST: char = char::MAX;

/// The words a user is found by: every word of their names and email
/// (letters and digits, lower-case), the whole email and its domain.
pub fn terms(names: &[Option<&str>], email: &str) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    let mut add = |term: &str| {
        let term: String = term.chars().take(MAX_TERM_LEN).collect();
        if !term.is_empty() && !terms.contains(&term) && terms.len() < MAX_USER_TERMS {
            terms.push(term);
        }
    };
    let email = email.to_lowercase();
    add(&email);
    if let Some((_, domain)) = email.split_once('@') {
        add(domain);
    }
    for text in names
        .iter()
        .flatten()
        .chain(std::iter::once(&email.as_str()))
    {
        for word in words(&text.to_lowercase()) {
            add(word);
        }
    }
    terms
}

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
}

/// Refuses a page beyond the first [`MAX_RESULTS`].
pub fn check_window(paging: &Paging) -> Result<()> {
    if paging
        .page
        .saturating_add(1)
        .saturating_mul(paging.per_page)
        > MAX_RESULTS
    {
        return Err(invalid(format!(
            "page and per_page reach only the first {MAX_RESULTS} users; narrow the search with q"
        )));
    }
    Ok(())
}

fn invalid(detail: String) -> Error {
    Error::management(
        ManagementErrorCode::InvalidQueryString,
        format!("Query validation error: {detail}"),
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Email,
    Name,
    Nickname,
    UserId,
    /// A bare word: any of the user's words.
    Word,
}

impl Field {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "email" => Self::Email,
            "name" => Self::Name,
            "nickname" => Self::Nickname,
            "user_id" => Self::UserId,
            _ => return None,
        })
    }

    /// The indexed column of `users` the field is, `None` for a word.
    fn column(self) -> Option<&'static str> {
        match self {
            Self::Email => Some("email"),
            Self::Name => Some("name"),
            Self::Nickname => Some("nickname"),
            Self::UserId => Some("user_id"),
            Self::Word => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    field: Field,
    value: String,
    prefix: bool,
}

/// A parsed `q`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserQuery {
    terms: Vec<Term>,
}

impl UserQuery {
    /// `None` for a blank query (everyone).
    pub fn parse(q: &str) -> Result<Option<Self>> {
        if q.len() > MAX_QUERY_LEN {
            return Err(invalid(format!(
                "q may be at most {MAX_QUERY_LEN} characters"
            )));
        }
        let mut terms = Vec::new();
        for token in tokens(q)? {
            let (field, value) = match token.split_once(':') {
                Some((name, value)) if !token.starts_with('"') => {
                    let field = Field::parse(name).ok_or_else(|| {
                        invalid(format!(
                            "'{}' cannot be searched; search email, name, nickname, user_id or bare words",
                            echo(name)
                        ))
                    })?;
                    (field, unquote(value))
                }
                _ => {
                    if matches!(token.as_str(), "OR" | "NOT" | "||" | "&&")
                        || token.starts_with('-')
                    {
                        return Err(invalid(format!(
                            "'{}' is not supported; terms are combined with AND",
                            echo(&token)
                        )));
                    }
                    if token == "AND" {
                        continue;
                    }
                    (Field::Word, unquote(&token))
                }
            };
            let (value, prefix) = match value.strip_suffix('*') {
                Some(stem) => (stem, true),
                None => (value, field == Field::Word),
            };
            if value.is_empty() || value.contains('*') || value.contains('?') {
                return Err(invalid(format!(
                    "'{}': only a trailing * after some characters is supported",
                    echo(&token)
                )));
            }
            let value = match field {
                Field::UserId | Field::Name | Field::Nickname => value.to_string(),
                Field::Email | Field::Word => value.to_lowercase(),
            };
            if field == Field::Word {
                // A quoted phrase is its words.
                for word in value.split_whitespace() {
                    terms.push(Term {
                        field,
                        value: word.to_string(),
                        prefix,
                    });
                }
            } else {
                terms.push(Term {
                    field,
                    value,
                    prefix,
                });
            }
        }
        if terms.len() > MAX_TERMS {
            return Err(invalid(format!("q may hold at most {MAX_TERMS} terms")));
        }
        Ok((!terms.is_empty()).then_some(Self { terms }))
    }

    /// One capped count per term, each on its own index, for choosing the
    /// term that drives the search ([`Self::driver`]); none for a single
    /// term.
    pub fn probes(&self) -> Vec<Statement> {
        if self.terms.len() < 2 {
            return Vec::new();
        }
        self.terms
            .iter()
            .map(|term| {
                let (from, condition, _) = term.driving(1);
                term.bind(Statement::new(format!(
                    "SELECT count(*) AS n FROM (SELECT 1 FROM {from} WHERE {condition} LIMIT {MAX_RESULTS})"
                )))
            })
            .collect()
    }

    /// The term with the fewest matches, from the counts of [`Self::probes`]
    /// (the first term for a single one).
    pub fn driver(counts: &[u64]) -> usize {
        (0..counts.len()).min_by_key(|&i| counts[i]).unwrap_or(0)
    }

    /// The page of matching users (`columns`, with `LIMIT ? OFFSET ?` left
    /// to bind) and their count, at most [`MAX_RESULTS`]. The `driver`
    /// term ranges over its index in the index's order, so the page is
    /// read without sorting the matches and stops once it is full; each
    /// other term is checked on the rows found, by its own index.
    pub fn statements(&self, columns: &str, driver: usize) -> (Statement, Statement) {
        let driving = &self.terms[driver.min(self.terms.len() - 1)];
        let (from, condition, order) = driving.driving(1);
        let mut conditions = vec![condition];
        let mut n = 1 + driving.params().len();
        let mut ordered = vec![driving];
        for term in self
            .terms
            .iter()
            .filter(|term| !std::ptr::eq(*term, driving))
        {
            conditions.push(term.filter(n));
            n += term.params().len();
            ordered.push(term);
        }
        let matches = format!("FROM {from} WHERE {}", conditions.join(" AND "));
        let bind = |sql: String| {
            ordered
                .iter()
                .fold(Statement::new(sql), |statement, term| term.bind(statement))
        };
        (
            bind(format!(
                "SELECT {columns} {matches} ORDER BY {order} LIMIT ? OFFSET ?"
            )),
            bind(format!(
                "SELECT count(*) AS n FROM (SELECT 1 {matches} LIMIT {MAX_RESULTS})"
            )),
        )
    }
}

impl Term {
    /// Its values: the value, and for a prefix the bound above it.
    fn params(&self) -> Vec<Value> {
        let mut params = vec![Value::from(self.value.clone())];
        if self.prefix {
            params.push(format!("{}{LAST}", self.value).into());
        }
        params
    }

    fn bind(&self, statement: Statement) -> Statement {
        self.params().into_iter().fold(statement, Statement::bind)
    }

    /// `(from, condition, order)` of the rows it matches when it drives a
    /// search, its values numbered from `?{n}`: a range of `users`' index
    /// on the field, or of `user_terms` (each user once, by their first
    /// word with the prefix) joined to `users` as `u`.
    fn driving(&self, n: usize) -> (String, String, String) {
        match self.field.column() {
            Some(column) => (
                "users u".into(),
                self.range(&format!("u.{column}"), n),
                if column == "user_id" {
                    "u.user_id".into()
                } else {
                    format!("u.{column}, u.user_id")
                },
            ),
            None => {
                let mut condition = self.range("t.term", n);
                if self.prefix {
                    condition.push_str(&format!(
                        " AND NOT EXISTS (SELECT 1 FROM user_terms d WHERE d.user_id = t.user_id \
                         AND d.term >= ?{n} AND d.term < t.term)"
                    ));
                }
                (
                    "user_terms t JOIN users u ON u.user_id = t.user_id".into(),
                    condition,
                    "t.term, t.user_id".into(),
                )
            }
        }
    }

    /// The condition that user `u` matches, its values numbered from `?{n}`.
    fn filter(&self, n: usize) -> String {
        match self.field.column() {
            Some(column) => self.range(&format!("u.{column}"), n),
            None => format!(
                "EXISTS (SELECT 1 FROM user_terms x WHERE x.user_id = u.user_id AND {})",
                self.range("x.term", n)
            ),
        }
    }

    fn range(&self, column: &str, n: usize) -> String {
        if self.prefix {
            format!("{column} >= ?{n} AND {column} < ?{}", n + 1)
        } else {
            format!("{column} = ?{n}")
        }
    }
}

/// `unquote("\"Ada L\"")` is `Ada L`.
fn unquote(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
}

/// Splits on spaces outside double quotes.
fn tokens(q: &str) -> Result<Vec<String>> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in q.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if quoted {
        return Err(invalid("q has an unclosed quote".into()));
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_is_found_by_each_word_of_names_and_email() {
        let terms = terms(
            &[Some("Ada Lovelace"), Some("ada"), None, Some("Byron-King")],
            "Ada.L@Math.example",
        );
        for expected in [
            "ada.l@math.example",
            "math.example",
            "ada",
            "lovelace",
            "byron",
            "king",
            "l",
            "math",
            "example",
        ] {
            assert!(
                terms.contains(&expected.to_string()),
                "{expected}: {terms:?}"
            );
        }
        assert_eq!(
            terms.len(),
            terms
                .iter()
                .collect::<std::collections::BTreeSet<_>>()
                .len()
        );
    }

    #[test]
    fn queries_are_terms_on_indexed_fields() {
        let query = UserQuery::parse(r#"email:Ada@Example.com AND name:"Ada L*" lovelace"#)
            .unwrap()
            .unwrap();
        assert_eq!(
            query.terms,
            vec![
                Term {
                    field: Field::Email,
                    value: "ada@example.com".into(),
                    prefix: false
                },
                Term {
                    field: Field::Name,
                    value: "Ada L".into(),
                    prefix: true
                },
                Term {
                    field: Field::Word,
                    value: "lovelace".into(),
                    prefix: true
                },
            ]
        );
        assert_eq!(UserQuery::parse("   ").unwrap(), None);
    }

    #[test]
    fn what_no_index_answers_is_refused() {
        for bad in [
            "app_metadata.plan:gold",
            "name:*ada",
            "name:a*a",
            "email:*",
            "ada OR bob",
            "NOT ada",
            "-ada",
            "\"unclosed",
            "a b c d e f",
            &"x".repeat(600),
        ] {
            let err = UserQuery::parse(bad).unwrap_err();
            assert_eq!(err.status(), 400, "{bad}");
        }
    }

    #[test]
    fn paging_reaches_the_first_thousand() {
        let paging = |page, per_page| Paging {
            page,
            per_page,
            include_totals: false,
        };
        assert!(check_window(&paging(9, 100)).is_ok());
        assert!(check_window(&paging(10, 100)).is_err());
        assert!(check_window(&paging(u64::MAX, 50)).is_err());
    }
}
