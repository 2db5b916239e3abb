//! HTTP plumbing shared by the handlers: bodies with a size limit, JSON
//! responses with the right caching headers, and the one place errors become
//! responses.

use futures_util::StreamExt;
use serde::Serialize;
use tenant::management::MAX_BODY_BYTES;
use tenant::{Error, Family, Result};
use worker::{console_error, ByteStream, Headers, Method, Request, Response, Url};

pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// The request's method. The `worker` crate reads every method it does not
/// know (`QUERY`, `PROPFIND`, `FOO`) as GET, which would serve reads to
/// them; they become `REPORT` here instead, which no route serves, so they
/// get the path's 405 with `Allow` like any other unsupported method.
pub fn method(req: &Request) -> Method {
    match req.method() {
        Method::Get if req.inner().method() != "GET" => Method::Report,
        method => method,
    }
}

pub fn internal(err: worker::Error) -> Error {
    Error::unavailable(format!("worker: {err}"))
}

/// How much of a body found too large while it is read is still read, and
/// thrown away, before the 413 is sent. A body whose reading has begun must
/// be read to its end: answering while the client is still sending makes
/// some HTTP stacks (`wrangler dev`'s proxy among them) fail the exchange,
/// so the client would see a reset or a 5xx instead of the 413. Reading
/// costs no more than copying the bytes; past this bound the answer goes out
/// anyway. (A body never read at all is no problem: a declared length over
/// the limit is answered at once.)
const DRAIN_BYTES: usize = 8 * 1024 * 1024;

/// The request body, refused with 413 past [`MAX_BODY_BYTES`] (see
/// [`read_body_up_to`]); the declared
/// length is checked before anything is read.
pub async fn read_body(req: &mut Request, family: Family) -> Result<Vec<u8>> {
    read_body_up_to(req, family, MAX_BODY_BYTES).await
}

/// The request body, refused with 413 past `limit` bytes.
pub async fn read_body_up_to(req: &mut Request, family: Family, limit: usize) -> Result<Vec<u8>> {
    let too_large = || {
        Error::bad_request(
            family,
            413,
            format!("The request body exceeds {limit} bytes"),
        )
    };
    let declared = header(req, "content-length").and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(too_large());
    }
    // A body sent without a declared length is kept only up to the limit.
    let mut body = Vec::new();
    let Ok(mut stream) = req.stream() else {
        return Ok(body); // no body at all
    };
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|_| Error::bad_request(family, 400, "The request body could not be read"))?;
        body.extend_from_slice(&chunk);
        if body.len() > limit {
            drop(body);
            drain(&mut stream, DRAIN_BYTES).await;
            return Err(too_large());
        }
    }
    Ok(body)
}

/// Reads and discards up to `limit` more bytes of a body, or to its end.
async fn drain(stream: &mut ByteStream, limit: usize) {
    let mut drained = 0;
    while drained < limit {
        match stream.next().await {
            Some(Ok(chunk)) => drained += chunk.len(),
            _ => return,
        }
    }
}

/// Whether the declared media type is JSON.
pub fn has_json_body(req: &Request) -> bool {
    header(req, "content-type")
        .and_then(|ct| ct.split(';').next().map(|e| e.trim().to_ascii_lowercase()))
        .is_some_and(|essence| essence == "application/json")
}

/// A Management API body: JSON, by its declared media type.
pub async fn read_json_body(req: &mut Request, limit: usize) -> Result<Vec<u8>> {
    if !has_json_body(req) {
        return Err(Error::bad_request(
            Family::Management,
            415,
            "Content-Type must be application/json",
        ));
    }
    read_body_up_to(req, Family::Management, limit).await
}

pub fn query_pairs(url: &Url) -> Vec<(String, String)> {
    url.query_pairs()
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

/// The first value of a query parameter among `query_pairs`.
pub fn query_value<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// How a response may be cached.
#[derive(Clone, Copy)]
pub enum Caching {
    /// Tokens, secrets, anything per-caller (RFC 6749 §5.1).
    NoStore,
    /// Public metadata, for this many seconds.
    Public(u32),
}

pub fn json<T: Serialize + ?Sized>(status: u16, body: &T, caching: Caching) -> Result<Response> {
    let body = serde_json::to_vec(body).map_err(|e| Error::unavailable(e.to_string()))?;
    json_bytes(status, body, caching)
}

/// A body that is JSON already, e.g. a document compiled into the Worker.
pub fn json_bytes(status: u16, body: Vec<u8>, caching: Caching) -> Result<Response> {
    let headers = Headers::new();
    let set = |name: &str, value: &str| headers.set(name, value).map_err(internal);
    set("Content-Type", "application/json; charset=utf-8")?;
    match caching {
        Caching::NoStore => {
            set("Cache-Control", "no-store")?;
            set("Pragma", "no-cache")?;
        }
        Caching::Public(seconds) => {
            set("Cache-Control", &format!("public, max-age={seconds}"))?;
            // Public metadata may be read by any origin (OIDC Discovery §4).
            set("Access-Control-Allow-Origin", "*")?;
        }
    }
    Ok(Response::builder()
        .with_status(status)
        .with_headers(headers)
        .fixed(body))
}

pub fn no_content() -> Result<Response> {
    let response = Response::builder().with_status(204).empty();
    response
        .headers()
        .set("Cache-Control", "no-store")
        .map_err(internal)?;
    Ok(response)
}

/// The only place an error becomes a response. Details of unavailability are
/// logged (they never contain secrets) and kept off the wire.
pub fn error_response(err: &Error, family: Family) -> Response {
    if let Error::Unavailable(detail) = err {
        console_error!("unavailable: {detail}");
    }
    let wire = err.to_wire(family);
    let headers = Headers::new();
    let _ = headers.set("Content-Type", "application/json; charset=utf-8");
    // RFC 6749 §5.1 asks both of token responses, errors included.
    let _ = headers.set("Cache-Control", "no-store");
    let _ = headers.set("Pragma", "no-cache");
    for (name, value) in &wire.headers {
        let _ = headers.set(name, value);
    }
    Response::builder()
        .with_status(wire.status)
        .with_headers(headers)
        .fixed(wire.body.into_bytes())
}

/// 405 with the methods the resource does allow. Every GET route serves
/// HEAD too (RFC 9110 §9.3.2), so `Allow` names it wherever GET is.
pub fn method_not_allowed(family: Family, allow: &str) -> Response {
    let methods: Vec<&str> = allow.split(", ").collect();
    let allow = if methods.contains(&"GET") && !methods.contains(&"HEAD") {
        allow.replacen("GET", "GET, HEAD", 1)
    } else {
        allow.to_string()
    };
    let err = Error::bad_request(family, 405, format!("Method not allowed; use {allow}"));
    let response = error_response(&err, family);
    let _ = response.headers().set("Allow", &allow);
    response
}
