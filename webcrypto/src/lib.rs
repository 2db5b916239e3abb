//! RS256, PBKDF2 and AES-GCM on WebCrypto: all run as native code in workerd. RSA
//! signs in well under a millisecond, where pure-Rust RSA in wasm costs
//! ~22 ms. Imported signing keys are kept per isolate, so a key is parsed
//! once.

use std::cell::RefCell;
use std::collections::HashMap;

use js_sys::{Array, Object, Reflect, Uint8Array, JSON};
use tenant::seams::crypto::{CryptoBackend, RsaKeyPair, RsaPrivateKey, RsaPublicKey};
use tenant::{Error, Result};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto};

const ALGORITHM: &str = "RSASSA-PKCS1-v1_5";

thread_local! {
    /// (kid, or an AES key's bytes in hex; usage) -> imported key.
    static IMPORTED: RefCell<HashMap<(String, &'static str), CryptoKey>> = RefCell::new(HashMap::new());
}

pub struct WebCrypto;

fn failed(operation: &str, err: JsValue) -> Error {
    Error::unavailable(format!("webcrypto {operation}: {err:?}"))
}

fn subtle() -> Result<SubtleCrypto> {
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))
        .map_err(|e| failed("crypto", e))?;
    Ok(crypto.unchecked_into::<web_sys::Crypto>().subtle())
}

fn object(entries: &[(&str, JsValue)]) -> Result<Object> {
    let object = Object::new();
    for (name, value) in entries {
        Reflect::set(&object, &JsValue::from_str(name), value).map_err(|e| failed("object", e))?;
    }
    Ok(object)
}

fn import_algorithm() -> Result<Object> {
    object(&[("name", ALGORITHM.into()), ("hash", "SHA-256".into())])
}

fn string_member(value: &JsValue, name: &str) -> Result<String> {
    Reflect::get(value, &JsValue::from_str(name))
        .ok()
        .and_then(|v| v.as_string())
        .ok_or_else(|| Error::unavailable(format!("webcrypto: exported key lacks {name}")))
}

async fn imported_key(kid: &str, usage: &'static str, jwk: &Object) -> Result<CryptoKey> {
    let cached = IMPORTED.with(|keys| keys.borrow().get(&(kid.to_string(), usage)).cloned());
    if let Some(key) = cached {
        return Ok(key);
    }
    let usages = Array::of1(&JsValue::from_str(usage));
    let promise = subtle()?
        .import_key_with_object("jwk", jwk, &import_algorithm()?, false, &usages)
        .map_err(|e| failed("importKey", e))?;
    let key: CryptoKey = JsFuture::from(promise)
        .await
        .map_err(|e| failed("importKey", e))?
        .unchecked_into();
    IMPORTED.with(|keys| {
        keys.borrow_mut()
            .insert((kid.to_string(), usage), key.clone())
    });
    Ok(key)
}

/// An AES-GCM key for `usage`, imported once per isolate and key (the map
/// is this isolate's memory, which holds the raw key anyway).
async fn aes_key(key: &[u8; 32], usage: &'static str) -> Result<CryptoKey> {
    let id: String = key.iter().map(|b| format!("{b:02x}")).collect();
    let cached = IMPORTED.with(|keys| keys.borrow().get(&(id.clone(), usage)).cloned());
    if let Some(key) = cached {
        return Ok(key);
    }
    let usages = Array::of1(&JsValue::from_str(usage));
    let promise = subtle()?
        .import_key_with_str(
            "raw",
            &Uint8Array::from(&key[..]),
            "AES-GCM",
            false,
            &usages,
        )
        .map_err(|e| failed("importKey", e))?;
    let imported: CryptoKey = JsFuture::from(promise)
        .await
        .map_err(|e| failed("importKey", e))?
        .unchecked_into();
    IMPORTED.with(|keys| keys.borrow_mut().insert((id, usage), imported.clone()));
    Ok(imported)
}

fn aes_gcm(nonce: &[u8; 12]) -> Result<Object> {
    object(&[
        ("name", "AES-GCM".into()),
        ("iv", Uint8Array::from(&nonce[..]).into()),
        ("tagLength", 128.into()),
    ])
}

impl CryptoBackend for WebCrypto {
    async fn generate(&self) -> Result<RsaKeyPair> {
        let algorithm = object(&[
            ("name", ALGORITHM.into()),
            ("modulusLength", 2048.into()),
            ("publicExponent", Uint8Array::from(&[1u8, 0, 1][..]).into()),
            ("hash", "SHA-256".into()),
        ])?;
        let usages = Array::of2(&"sign".into(), &"verify".into());
        let promise = subtle()?
            .generate_key_with_object(&algorithm, true, &usages)
            .map_err(|e| failed("generateKey", e))?;
        let pair = JsFuture::from(promise)
            .await
            .map_err(|e| failed("generateKey", e))?;
        let private: CryptoKey = Reflect::get(&pair, &"privateKey".into())
            .map_err(|e| failed("generateKey", e))?
            .unchecked_into();
        let promise = subtle()?
            .export_key("jwk", &private)
            .map_err(|e| failed("exportKey", e))?;
        let jwk = JsFuture::from(promise)
            .await
            .map_err(|e| failed("exportKey", e))?;
        let private_jwk = JSON::stringify(&jwk)
            .map_err(|e| failed("exportKey", e))?
            .as_string()
            .unwrap_or_default();
        Ok(RsaKeyPair {
            n: string_member(&jwk, "n")?,
            e: string_member(&jwk, "e")?,
            private_jwk,
        })
    }

    async fn sign(&self, key: RsaPrivateKey<'_>, message: &[u8]) -> Result<Vec<u8>> {
        let jwk: Object = JSON::parse(key.private_jwk)
            .map_err(|e| failed("parse key", e))?
            .unchecked_into();
        let crypto_key = imported_key(key.kid, "sign", &jwk).await?;
        let promise = subtle()?
            .sign_with_str_and_u8_array(ALGORITHM, &crypto_key, message)
            .map_err(|e| failed("sign", e))?;
        let signature = JsFuture::from(promise)
            .await
            .map_err(|e| failed("sign", e))?;
        Ok(Uint8Array::new(&signature).to_vec())
    }

    async fn verify(
        &self,
        key: RsaPublicKey<'_>,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool> {
        let jwk = object(&[
            ("kty", "RSA".into()),
            ("n", key.n.into()),
            ("e", key.e.into()),
            ("alg", "RS256".into()),
            ("ext", true.into()),
        ])?;
        let crypto_key = imported_key(key.kid, "verify", &jwk).await?;
        let promise = subtle()?
            .verify_with_str_and_u8_array_and_u8_array(ALGORITHM, &crypto_key, signature, message)
            .map_err(|e| failed("verify", e))?;
        let valid = JsFuture::from(promise)
            .await
            .map_err(|e| failed("verify", e))?;
        Ok(valid.as_bool().unwrap_or(false))
    }

    async fn pbkdf2_sha256(
        &self,
        password: &[u8],
        salt: &[u8],
        iterations: u32,
    ) -> Result<[u8; 32]> {
        let subtle = subtle()?;
        let usages = Array::of1(&JsValue::from_str("deriveBits"));
        let promise = subtle
            .import_key_with_str("raw", &Uint8Array::from(password), "PBKDF2", false, &usages)
            .map_err(|e| failed("importKey", e))?;
        let key: CryptoKey = JsFuture::from(promise)
            .await
            .map_err(|e| failed("importKey", e))?
            .unchecked_into();
        let algorithm = object(&[
            ("name", "PBKDF2".into()),
            ("hash", "SHA-256".into()),
            ("salt", Uint8Array::from(salt).into()),
            ("iterations", iterations.into()),
        ])?;
        let promise = subtle
            .derive_bits_with_object(&algorithm, &key, 256)
            .map_err(|e| failed("deriveBits", e))?;
        let bits = JsFuture::from(promise)
            .await
            .map_err(|e| failed("deriveBits", e))?;
        Uint8Array::new(&bits)
            .to_vec()
            .try_into()
            .map_err(|_| Error::unavailable("webcrypto deriveBits: wrong length"))
    }

    async fn aes_gcm_encrypt(
        &self,
        key: &[u8; 32],
        nonce: &[u8; 12],
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        let key = aes_key(key, "encrypt").await?;
        let promise = subtle()?
            .encrypt_with_object_and_u8_array(&aes_gcm(nonce)?, &key, plaintext)
            .map_err(|e| failed("encrypt", e))?;
        let sealed = JsFuture::from(promise)
            .await
            .map_err(|e| failed("encrypt", e))?;
        Ok(Uint8Array::new(&sealed).to_vec())
    }

    async fn aes_gcm_decrypt(
        &self,
        key: &[u8; 32],
        nonce: &[u8; 12],
        ciphertext: &[u8],
    ) -> Result<Option<Vec<u8>>> {
        let key = aes_key(key, "decrypt").await?;
        let promise = subtle()?
            .decrypt_with_object_and_u8_array(&aes_gcm(nonce)?, &key, ciphertext)
            .map_err(|e| failed("decrypt", e))?;
        // A tag that does not verify rejects the promise (OperationError).
        Ok(JsFuture::from(promise)
            .await
            .ok()
            .map(|opened| Uint8Array::new(&opened).to_vec()))
    }
}
