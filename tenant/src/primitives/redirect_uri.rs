//! Which redirect URIs a client may register (RFC 6749 §3.1.2, RFC 8252
//! §7, RFC 9700 §2.1 and §4.1).
//!
//! A registered URI is stored exactly as given and later matched exactly, so
//! anything that two parsers could read differently is refused up front:
//! fragments, user info, backslashes, upper-case schemes, non-ASCII hosts.

use url::{Host, Url};

pub const MAX_LEN: usize = 2048;

/// Why a redirect URI is refused, in words for the error description.
pub fn check(uri: &str) -> Result<(), &'static str> {
    if uri.is_empty() || uri.len() > MAX_LEN {
        return Err("must be 1 to 2048 characters");
    }
    if uri
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '\\')
    {
        return Err("must not contain spaces, control characters or backslashes");
    }
    if !uri.is_ascii() {
        return Err("must be ASCII (hosts in punycode)");
    }
    if uri.contains('#') {
        return Err("must not contain a fragment");
    }
    let Some((scheme, _)) = uri.split_once(':') else {
        return Err("must be an absolute URI");
    };
    if scheme.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err("must use a lower-case scheme");
    }
    let url = Url::parse(uri).map_err(|_| "must be an absolute URI")?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain user information");
    }
    // What we store must be what any parser reads: no dot segments, default
    // ports, upper-case hosts or missing authorities for it to normalize.
    let canonical = url.as_str();
    if canonical != uri && canonical.strip_suffix('/') != Some(uri) {
        return Err(
            "must be in canonical form (lower-case host, no default port, no dot segments)",
        );
    }
    match url.scheme() {
        "https" => match url.host() {
            Some(_) => Ok(()),
            None => Err("must name a host"),
        },
        "http" if is_loopback(&url) => Ok(()),
        "http" => Err("must use https (plain http is allowed for loopback hosts only)"),
        "javascript" | "data" | "vbscript" | "file" | "blob" | "about" | "ws" | "wss" => {
            Err("uses a scheme that cannot be a redirect target")
        }
        // RFC 8252 §7.1: native apps use a private-use scheme named after a
        // domain they control, such as com.example.app:/callback.
        private if private.contains('.') => Ok(()),
        _ => Err("must use https, http on a loopback host, or a reverse-domain private-use scheme"),
    }
}

/// RFC 8252 §7.3 / §8.3: loopback redirects for native apps.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain == "localhost",
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The Content-Security-Policy source (CSP3 §2.3.1) that lets a hosted
/// page's form lead to `uri`: `form-action` also governs the redirects a
/// form submission is answered with (CSP3 §6.3.2.2), so the login, signup
/// and consent pages, whose posts are answered with a redirect to the
/// client, must name the validated redirect URI's origin besides `'self'`.
/// Redirects match on origin alone (CSP3 §6.7.2.8), so that is what is
/// given. CSP cannot express an IPv6 literal, so a loopback `[::1]`
/// callback gets any host on its scheme and port; a private-use scheme is
/// given as a scheme. `None` for what a source cannot carry safely.
pub fn csp_source(uri: &str) -> Option<String> {
    let url = Url::parse(uri).ok()?;
    let source = match (url.scheme(), url.host()) {
        ("https" | "http", Some(Host::Ipv6(_))) => match url.port() {
            Some(port) => format!("{}://*:{port}", url.scheme()),
            None => format!("{}://*", url.scheme()),
        },
        ("https" | "http", Some(_)) => url.origin().ascii_serialization(),
        (_, None) => format!("{}:", url.scheme()),
        _ => return None,
    };
    // A source is a run of these; anything else could start another
    // source or directive.
    let safe = source
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"+-.:/*".contains(&b));
    safe.then_some(source)
}

/// Where a redirect URI sends what it receives, as a person should read it
/// on a consent page: the host (and port), or a native app's scheme.
pub fn destination(uri: &str) -> String {
    match Url::parse(uri) {
        Ok(url) => match url.host_str() {
            Some(host) => match url.port() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_string(),
            },
            None => format!("the app {}", url.scheme()),
        },
        Err(_) => uri.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::{check, csp_source, destination};

    #[test]
    fn csp_sources_name_the_redirect_origin_only() {
        for (uri, source) in [
            (
                "https://app.example.com/callback?x=1",
                "https://app.example.com",
            ),
            (
                "https://app.example.com:8443/cb",
                "https://app.example.com:8443",
            ),
            ("http://127.0.0.1:4000/callback", "http://127.0.0.1:4000"),
            ("http://localhost:3000", "http://localhost:3000"),
            ("http://[::1]:8080/cb", "http://*:8080"),
            ("com.example.app:/oauth2redirect", "com.example.app:"),
        ] {
            assert_eq!(check(uri), Ok(()), "{uri}");
            assert_eq!(csp_source(uri).as_deref(), Some(source), "{uri}");
        }
        assert_eq!(csp_source("not a url"), None);
    }

    #[test]
    fn destinations_are_what_a_person_can_check() {
        assert_eq!(destination("https://app.example.com/cb"), "app.example.com");
        assert_eq!(destination("http://127.0.0.1:4000/cb"), "127.0.0.1:4000");
        assert_eq!(
            destination("com.example.app:/cb"),
            "the app com.example.app"
        );
    }

    #[test]
    fn ordinary_redirect_uris_are_accepted() {
        for uri in [
            "https://app.example.com/callback",
            "https://app.example.com:8443/cb?x=1",
            "http://localhost:3000/callback",
            "http://localhost:3000",
            "http://127.0.0.1:8787/",
            "http://[::1]:8080/cb",
            "com.example.app:/oauth2redirect",
        ] {
            assert_eq!(check(uri), Ok(()), "{uri}");
        }
    }

    #[test]
    fn dangerous_or_ambiguous_redirect_uris_are_refused() {
        for uri in [
            "",
            "/callback",
            "app.example.com/callback",
            "https://app.example.com/cb#frag",
            "https://app.example.com/cb#",
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,hi",
            "http://app.example.com/callback",
            "http://localhost.evil.example/cb",
            "https://trusted.example@evil.example/cb",
            "https://user:pass@app.example.com/cb",
            "https://app.example.com\\@evil.example/",
            "HTTPS://app.example.com/cb",
            "https://аpp.example.com/cb",
            "https://app.example.com/ cb",
            "custom:/callback",
            "https:///path",
            "https://App.example.com/cb",
            "https://app.example.com:443/cb",
            "https://app.example.com/a/../cb",
        ] {
            assert!(check(uri).is_err(), "{uri} was accepted");
        }
        assert!(check(&format!("https://app.example.com/{}", "a".repeat(2048))).is_err());
    }
}
