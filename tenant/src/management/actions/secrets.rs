//! Action secrets: write-only values an action reads as `event.secrets`.
//! They cannot be hashed (the action needs them), so each is stored
//! encrypted with AES-256-GCM under the deployment's `ACTIONS_SECRETS_KEY`
//! (never in D1 or KV), with a fresh random nonce, and framed with its
//! name, so a sealed value moved to another name does not open there.
//! The Management API shows a secret's name and when it was set, never its
//! value.

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use shared::actions::{SecretInfo, SecretInput};

use crate::error::{echo, Error, Result};
use crate::seams::clock::rfc3339;
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::Database;
use crate::seams::store::Store;
use crate::Tenant;

/// Auth0's bounds.
pub const MAX_SECRETS: usize = 20;
pub const MAX_SECRET_NAME_LEN: usize = 128;
pub const MAX_SECRET_VALUE_LEN: usize = 4096;
const NONCE_LEN: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSecret {
    pub name: String,
    /// base64url of the nonce and the AES-GCM ciphertext with its tag.
    pub sealed: String,
    pub updated_at: u64,
}

impl StoredSecret {
    pub fn info(&self) -> SecretInfo {
        SecretInfo {
            name: self.name.clone(),
            updated_at: rfc3339(self.updated_at),
        }
    }
}

fn check_name(name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name.len() <= MAX_SECRET_NAME_LEN
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !valid {
        return Err(Error::invalid_field(
            "secrets",
            format!(
                "names must be 1 to {MAX_SECRET_NAME_LEN} letters, digits or '_': '{}'",
                echo(name)
            ),
        ));
    }
    Ok(())
}

/// The secrets after a request naming `inputs`: each input's value
/// (`sealed`, in the same order) replaces or adds it; an input without a
/// value keeps the stored one; a stored secret no input names is removed.
pub fn merge(
    existing: &[StoredSecret],
    inputs: &[SecretInput],
    sealed: &[Option<String>],
    now: u64,
) -> Result<Vec<StoredSecret>> {
    if inputs.len() > MAX_SECRETS {
        return Err(Error::invalid_field(
            "secrets",
            format!("may hold at most {MAX_SECRETS} secrets"),
        ));
    }
    let mut merged: Vec<StoredSecret> = Vec::with_capacity(inputs.len());
    for (input, sealed) in inputs.iter().zip(sealed) {
        check_name(&input.name)?;
        if merged.iter().any(|s| s.name == input.name) {
            return Err(Error::invalid_field(
                "secrets",
                format!("name '{}' is repeated", echo(&input.name)),
            ));
        }
        let secret = match sealed {
            Some(sealed) => StoredSecret {
                name: input.name.clone(),
                sealed: sealed.clone(),
                updated_at: now,
            },
            None => existing
                .iter()
                .find(|s| s.name == input.name)
                .cloned()
                .ok_or_else(|| {
                    Error::invalid_field(
                        "secrets",
                        format!("'{}' needs a value: it is not set yet", echo(&input.name)),
                    )
                })?,
        };
        merged.push(secret);
    }
    Ok(merged)
}

/// What is encrypted: the secret's name framed before its value, so a
/// sealed value only opens under the name it was set for.
fn frame(name: &str, value: &str) -> Vec<u8> {
    let mut framed = Vec::with_capacity(name.len() + value.len() + 1);
    framed.extend_from_slice(name.as_bytes());
    framed.push(0);
    framed.extend_from_slice(value.as_bytes());
    framed
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    fn secrets_key(&self) -> Result<&[u8; 32]> {
        self.config
            .actions_secrets_key
            .as_ref()
            .map(|key| &key.0)
            .ok_or_else(|| {
                Error::unavailable(
                    "ACTIONS_SECRETS_KEY is not set: actions cannot hold secrets (set it with `wrangler secret put ACTIONS_SECRETS_KEY`)",
                )
            })
    }

    /// Each input's value, encrypted; `None` for an input without one.
    pub(crate) async fn seal_new_values(
        &self,
        inputs: &[SecretInput],
    ) -> Result<Vec<Option<String>>> {
        let mut sealed = Vec::with_capacity(inputs.len());
        for input in inputs {
            let Some(value) = &input.value else {
                sealed.push(None);
                continue;
            };
            if value.chars().count() > MAX_SECRET_VALUE_LEN {
                return Err(Error::invalid_field(
                    "secrets",
                    format!(
                        "'{}' may be at most {MAX_SECRET_VALUE_LEN} characters",
                        echo(&input.name)
                    ),
                ));
            }
            let key = self.secrets_key()?;
            let mut nonce = [0u8; NONCE_LEN];
            self.rng.fill(&mut nonce);
            let ciphertext = self
                .crypto
                .aes_gcm_encrypt(key, &nonce, &frame(&input.name, value))
                .await?;
            let mut out = nonce.to_vec();
            out.extend_from_slice(&ciphertext);
            sealed.push(Some(URL_SAFE_NO_PAD.encode(out)));
        }
        Ok(sealed)
    }

    /// The values of `secrets`, for `event.secrets`. A value that does not
    /// open (another key) fails the run rather than passing garbage on.
    pub(crate) async fn open_secrets(
        &self,
        secrets: &[StoredSecret],
    ) -> Result<BTreeMap<String, String>> {
        let mut opened = BTreeMap::new();
        for secret in secrets {
            let key = self.secrets_key()?;
            let unreadable = || {
                Error::unavailable(format!(
                    "the action secret {} does not decrypt with ACTIONS_SECRETS_KEY (was the key changed?)",
                    secret.name
                ))
            };
            let bytes = URL_SAFE_NO_PAD
                .decode(&secret.sealed)
                .map_err(|_| unreadable())?;
            if bytes.len() < NONCE_LEN {
                return Err(unreadable());
            }
            let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
            let nonce: &[u8; NONCE_LEN] = nonce.try_into().expect("split at its length");
            let framed = self
                .crypto
                .aes_gcm_decrypt(key, nonce, ciphertext)
                .await?
                .ok_or_else(unreadable)?;
            let prefix_len = secret.name.len() + 1;
            let value = framed
                .get(..prefix_len)
                .filter(|prefix| {
                    prefix[..secret.name.len()] == *secret.name.as_bytes()
                        && prefix[secret.name.len()] == 0
                })
                .and_then(|_| String::from_utf8(framed[prefix_len..].to_vec()).ok())
                .ok_or_else(unreadable)?;
            opened.insert(secret.name.clone(), value);
        }
        Ok(opened)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{block_on, World};

    fn input(name: &str, value: Option<&str>) -> SecretInput {
        SecretInput {
            name: name.into(),
            value: value.map(str::to_string),
        }
    }

    #[test]
    fn secrets_are_stored_encrypted_and_open_only_under_their_name() {
        let world = World::new();
        let tenant = world.tenant();
        let inputs = [input("API_KEY", Some("s3cret-value"))];
        let sealed = block_on(tenant.seal_new_values(&inputs)).unwrap();
        let stored = merge(&[], &inputs, &sealed, 1).unwrap();
        assert!(!stored[0].sealed.contains("s3cret"));
        assert_eq!(
            block_on(tenant.open_secrets(&stored)).unwrap()["API_KEY"],
            "s3cret-value"
        );
        // The same value sealed twice differs (a fresh nonce each time).
        let again = block_on(tenant.seal_new_values(&inputs)).unwrap();
        assert_ne!(sealed, again);
        // Moved to another name, it does not open.
        let moved = [StoredSecret {
            name: "OTHER".into(),
            ..stored[0].clone()
        }];
        assert!(block_on(tenant.open_secrets(&moved)).is_err());
    }

    #[test]
    fn a_patch_keeps_values_it_does_not_give_and_drops_names_it_omits() {
        let existing = merge(
            &[],
            &[input("A", Some("1")), input("B", Some("2"))],
            &[Some("sa".into()), Some("sb".into())],
            1,
        )
        .unwrap();
        let merged = merge(
            &existing,
            &[input("A", None), input("C", Some("3"))],
            &[None, Some("sc".into())],
            2,
        )
        .unwrap();
        let names: Vec<(&str, &str, u64)> = merged
            .iter()
            .map(|s| (s.name.as_str(), s.sealed.as_str(), s.updated_at))
            .collect();
        assert_eq!(names, [("A", "sa", 1), ("C", "sc", 2)]);
        assert!(merge(&existing, &[input("D", None)], &[None], 3).is_err());
        assert!(merge(&[], &[input("bad name", Some("x"))], &[Some("s".into())], 3).is_err());
        assert!(merge(
            &[],
            &[input("A", Some("x")), input("A", Some("y"))],
            &[Some("s".into()), Some("t".into())],
            3
        )
        .is_err());
    }
}
