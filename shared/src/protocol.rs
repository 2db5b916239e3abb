//! The protocols' words as types: grant types, response types and modes,
//! client authentication methods, signing algorithms, and who acted in the
//! audit log. Each serializes to exactly the string of its standard, so
//! records, DTOs and the SPA share them and nothing compares strings.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Defines a string-valued enum: its variants, their wire strings, `ALL`,
/// `as_str`, `parse` and serde as that string.
macro_rules! words {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];
            /// The wire strings, in the order of [`Self::ALL`].
            pub const WIRE: &'static [&'static str] = &[$($wire,)+];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)+
                }
            }

            /// The variant whose wire string is `value`, exactly.
            pub fn parse(value: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == value)
            }

            /// The wire strings, for error messages: `a, b, c`.
            pub fn names() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        // As its wire string, by hand: a derived enum deserializer is a
        // visitor per enum, downloaded by the SPA for each.
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
                Self::parse(&value)
                    .ok_or_else(|| serde::de::Error::unknown_variant(&value, Self::WIRE))
            }
        }
    };
}

words! {
    /// OAuth 2.0 grant types a client may be allowed (RFC 7591 §2).
    GrantType {
        AuthorizationCode = "authorization_code",
        Implicit = "implicit",
        RefreshToken = "refresh_token",
        ClientCredentials = "client_credentials",
    }
}

words! {
    /// Auth0's application types.
    AppType {
        /// Machine to Machine.
        NonInteractive = "non_interactive",
        /// Single Page Application.
        Spa = "spa",
        RegularWeb = "regular_web",
        Native = "native",
    }
}

words! {
    /// How a client authenticates at the token endpoint (RFC 7591 §2).
    AuthMethod {
        None = "none",
        ClientSecretPost = "client_secret_post",
        ClientSecretBasic = "client_secret_basic",
    }
}

words! {
    /// JWS algorithms the tenant signs with (RFC 7518 §3.3, RFC 8037 §3.1).
    SigningAlg {
        Rs256 = "RS256",
        EdDsa = "EdDSA",
    }
}

words! {
    /// How an authorization response reaches the client (OAuth 2.0
    /// Multiple Response Types §2.1, Form Post Response Mode).
    ResponseMode {
        Query = "query",
        Fragment = "fragment",
        FormPost = "form_post",
    }
}

words! {
    /// Who acted, in the audit log: a client (`client_id`), a user
    /// (`user_id`), or someone not (yet) identified.
    ActorKind {
        Client = "client",
        User = "user",
        Anonymous = "anonymous",
    }
}

/// An OAuth 2.0 `response_type` (RFC 6749 §3.1.1, OAuth 2.0 Multiple
/// Response Types): a set of `code`, `token` and `id_token`, written in
/// any order on the wire and in this canonical order here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResponseType {
    pub code: bool,
    pub token: bool,
    pub id_token: bool,
}

impl ResponseType {
    pub const TOKEN: Self = Self::of(false, true, false);
    pub const ID_TOKEN: Self = Self::of(false, false, true);
    pub const ID_TOKEN_TOKEN: Self = Self::of(false, true, true);
    pub const CODE: Self = Self::of(true, false, false);
    /// Every combination OIDC registers (OAuth 2.0 Multiple Response Types §5).
    pub const ALL: [Self; 7] = [
        Self::CODE,
        Self::TOKEN,
        Self::ID_TOKEN,
        Self::ID_TOKEN_TOKEN,
        Self::of(true, false, true),
        Self::of(true, true, false),
        Self::of(true, true, true),
    ];

    const fn of(code: bool, token: bool, id_token: bool) -> Self {
        Self {
            code,
            token,
            id_token,
        }
    }

    /// Space-separated values in any order, each once; `None` for an
    /// unknown, repeated or missing value.
    pub fn parse(value: &str) -> Option<Self> {
        let mut parsed = Self::of(false, false, false);
        let mut any = false;
        for part in value.split(' ').filter(|p| !p.is_empty()) {
            let flag = match part {
                "code" => &mut parsed.code,
                "token" => &mut parsed.token,
                "id_token" => &mut parsed.id_token,
                _ => return None,
            };
            if *flag {
                return None;
            }
            *flag = true;
            any = true;
        }
        any.then_some(parsed)
    }

    pub fn as_str(self) -> &'static str {
        match (self.code, self.id_token, self.token) {
            (true, false, false) => "code",
            (false, false, true) => "token",
            (false, true, false) => "id_token",
            (false, true, true) => "id_token token",
            (true, true, false) => "code id_token",
            (true, false, true) => "code token",
            (true, true, true) => "code id_token token",
            (false, false, false) => "",
        }
    }
}

impl fmt::Display for ResponseType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ResponseType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ResponseType {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        Self::parse(&value)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown response_type '{value}'")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_through_their_wire_strings() {
        for grant in GrantType::ALL {
            let json = serde_json::to_string(grant).unwrap();
            assert_eq!(json, format!("\"{}\"", grant.as_str()));
            assert_eq!(serde_json::from_str::<GrantType>(&json).unwrap(), *grant);
            assert_eq!(GrantType::parse(grant.as_str()), Some(*grant));
        }
        assert_eq!(SigningAlg::parse("RS256"), Some(SigningAlg::Rs256));
        assert_eq!(SigningAlg::parse("rs256"), None);
        assert_eq!(
            AuthMethod::names(),
            "none, client_secret_post, client_secret_basic"
        );
    }

    #[test]
    fn response_types_are_sets_in_any_order() {
        assert_eq!(
            ResponseType::parse("token id_token"),
            Some(ResponseType::ID_TOKEN_TOKEN)
        );
        assert_eq!(
            ResponseType::parse(" id_token  token "),
            Some(ResponseType::ID_TOKEN_TOKEN)
        );
        assert_eq!(ResponseType::parse("code"), Some(ResponseType::CODE));
        for bad in ["", "token token", "id_token code_id", "Token"] {
            assert_eq!(ResponseType::parse(bad), None, "{bad:?}");
        }
        for t in ResponseType::ALL {
            assert_eq!(ResponseType::parse(t.as_str()), Some(t));
        }
        assert_eq!(
            serde_json::to_string(&ResponseType::ID_TOKEN_TOKEN).unwrap(),
            "\"id_token token\""
        );
    }
}
