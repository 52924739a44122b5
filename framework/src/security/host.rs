//! The `Host` check: every request names one well-formed host, and, when the app
//! lists its hosts (`App::allowed_hosts`), one of those (Django's `ALLOWED_HOSTS`).

use axum::extract::Request;
use axum::http::Version;
use axum::http::header::HOST;
use axum::http::uri::Authority;

/// The hosts an app answers to: exact names (`books.test`) or a leading dot for a
/// domain and its subdomains (`.books.test`). Compared without the port, ignoring case.
#[derive(Debug, Clone, Default)]
pub(crate) struct AllowedHosts(pub(crate) Option<Vec<String>>);

impl AllowedHosts {
    fn allows(&self, host: &str) -> bool {
        let Some(list) = &self.0 else { return true };
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        list.iter().any(|pattern| match pattern.strip_prefix('.') {
            Some(domain) => host == domain || host.ends_with(pattern.as_str()),
            None => pattern == "*" || *pattern == host,
        })
    }
}

/// What is wrong with the request's host, if anything: the client's message.
pub(crate) fn check(req: &Request, allowed: &AllowedHosts) -> Result<(), &'static str> {
    let mut values = req.headers().get_all(HOST).iter();
    let header = values.next();
    if values.next().is_some() {
        return Err("more than one Host header");
    }
    let authority = match header {
        Some(value) => {
            let text = value.to_str().map_err(|_| "malformed Host header")?;
            if text.is_empty() {
                return Err("empty Host header");
            }
            parse(text)?
        }
        // HTTP/2 carries the host in `:authority` (the URI); HTTP/1.0 may have none.
        None => match req.uri().authority() {
            Some(a) => {
                if a.as_str().contains('@') {
                    return Err("malformed host");
                }
                a.clone()
            }
            None if req.version() == Version::HTTP_11 => return Err("missing Host header"),
            None => return Ok(()),
        },
    };
    if allowed.allows(authority.host()) {
        Ok(())
    } else {
        Err("host not allowed")
    }
}

/// A `Host` value: a host name or IP literal and an optional port, nothing else.
fn parse(text: &str) -> Result<Authority, &'static str> {
    let authority: Authority = text.parse().map_err(|_| "malformed Host header")?;
    if authority.as_str().contains('@') || authority.host().is_empty() {
        return Err("malformed Host header");
    }
    // The port, if any, is 1 to 5 digits that fit in a u16 (`http` accepts more).
    let after_host = text.rsplit_once(']').map_or(text, |(_, rest)| rest);
    if let Some((_, port)) = after_host.rsplit_once(':')
        && (port.is_empty() || port.len() > 5 || port.parse::<u16>().is_err())
    {
        return Err("malformed Host header");
    }
    let host = authority.host();
    let ok = if host.starts_with('[') {
        host.ends_with(']')
    } else {
        host.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
    };
    if ok {
        Ok(authority)
    } else {
        Err("malformed Host header")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(hosts: &[&str]) -> Request {
        let mut b = Request::builder().uri("/");
        for h in hosts {
            b = b.header(HOST, *h);
        }
        b.body(axum::body::Body::empty()).unwrap()
    }

    #[test]
    fn well_formed_hosts_pass() {
        let any = AllowedHosts::default();
        for h in [
            "books.test",
            "books.test:8080",
            "127.0.0.1:3000",
            "[::1]:80",
            "localhost",
        ] {
            assert_eq!(check(&req(&[h]), &any), Ok(()), "{h}");
        }
    }

    #[test]
    fn malformed_doubled_empty_and_missing_hosts_fail() {
        let any = AllowedHosts::default();
        for h in [
            "",
            "a@b",
            "x:99999",
            "x:",
            "a b",
            "a/b",
            "x:port",
            "ex\u{e4}mple",
        ] {
            let mut r = req(&[]);
            if let Ok(v) = axum::http::HeaderValue::from_bytes(h.as_bytes()) {
                r.headers_mut().insert(HOST, v);
            }
            assert!(check(&r, &any).is_err(), "{h:?} should be refused");
        }
        assert_eq!(
            check(&req(&["a.test", "b.test"]), &any),
            Err("more than one Host header")
        );
        assert_eq!(check(&req(&[]), &any), Err("missing Host header"));
        let mut old = req(&[]);
        *old.version_mut() = Version::HTTP_10;
        assert_eq!(check(&old, &any), Ok(()), "HTTP/1.0 may omit Host");
    }

    #[test]
    fn only_listed_hosts_pass_when_listed() {
        let allowed = AllowedHosts(Some(vec!["books.test".into(), ".shop.test".into()]));
        assert_eq!(check(&req(&["books.test:8000"]), &allowed), Ok(()));
        assert_eq!(check(&req(&["BOOKS.test"]), &allowed), Ok(()));
        assert_eq!(check(&req(&["a.shop.test"]), &allowed), Ok(()));
        assert_eq!(check(&req(&["shop.test"]), &allowed), Ok(()));
        assert_eq!(
            check(&req(&["evil.example"]), &allowed),
            Err("host not allowed")
        );
        assert_eq!(
            check(&req(&["books.test.evil"]), &allowed),
            Err("host not allowed")
        );
        assert_eq!(
            check(&req(&["evilshop.test"]), &allowed),
            Err("host not allowed")
        );
    }
}
