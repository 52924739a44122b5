//! The `Host` check: every request names one well-formed host, and, when the app
//! lists its hosts (`App::allowed_hosts`), one of those (Django's `ALLOWED_HOSTS`).

use axum::extract::Request;
use axum::http::Version;
use axum::http::header::HOST;

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
    let host = match header {
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
                a.host()
            }
            None if req.version() == Version::HTTP_11 => return Err("missing Host header"),
            None => return Ok(()),
        },
    };
    if allowed.allows(host) {
        Ok(())
    } else {
        Err("host not allowed")
    }
}

/// A `Host` value: a host name or bracketed IP literal and an optional port, nothing
/// else (no user info, no path); answers the host. A byte scan, with no copy: it runs
/// on every request.
fn parse(text: &str) -> Result<&str, &'static str> {
    const BAD: &str = "malformed Host header";
    let (host, port) = if text.starts_with('[') {
        let end = text.find(']').ok_or(BAD)?;
        let (host, rest) = text.split_at(end + 1);
        let inner = &host[1..host.len() - 1];
        if inner.is_empty()
            || !inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return Err(BAD);
        }
        match rest {
            "" => (host, None),
            _ => (host, Some(rest.strip_prefix(':').ok_or(BAD)?)),
        }
    } else {
        match text.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        }
    };
    // The port, if any, is 1 to 5 digits that fit in a u16.
    if let Some(port) = port
        && (port.is_empty()
            || port.len() > 5
            || !port.bytes().all(|b| b.is_ascii_digit())
            || port.parse::<u16>().is_err())
    {
        return Err(BAD);
    }
    let name_ok = host.starts_with('[')
        || (!host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_'));
    if name_ok { Ok(host) } else { Err(BAD) }
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
