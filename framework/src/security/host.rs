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
    fn allows(&self, host: &[u8]) -> bool {
        let Some(list) = &self.0 else { return true };
        let mut host = host.to_ascii_lowercase();
        while host.last() == Some(&b'.') {
            host.pop();
        }
        list.iter().any(|pattern| match pattern.strip_prefix('.') {
            Some(domain) => host == domain.as_bytes() || host.ends_with(pattern.as_bytes()),
            None => pattern == "*" || pattern.as_bytes() == host,
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
            let text = value.as_bytes();
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
                a.host().as_bytes()
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
/// else (no user info, no path); answers the host. One pass over the bytes, with no
/// copy: it runs on every request.
fn parse(text: &[u8]) -> Result<&[u8], &'static str> {
    const BAD: &str = "malformed Host header";
    let (host, port) = if text.first() == Some(&b'[') {
        let end = text.iter().position(|&b| b == b']').ok_or(BAD)?;
        let (host, rest) = text.split_at(end + 1);
        let inner = &host[1..host.len() - 1];
        if inner.is_empty()
            || !inner
                .iter()
                .all(|b| b.is_ascii_hexdigit() || *b == b':' || *b == b'.')
        {
            return Err(BAD);
        }
        match rest {
            [] => (host, None),
            [b':', port @ ..] => (host, Some(port)),
            _ => return Err(BAD),
        }
    } else {
        // A name is letters, digits, `-`, `.` and `_`; one `:` starts the port.
        let mut colon = None;
        for (i, &b) in text.iter().enumerate() {
            if b == b':' {
                if colon.is_some() {
                    return Err(BAD);
                }
                colon = Some(i);
            } else if !(b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_') {
                return Err(BAD);
            }
        }
        match colon {
            Some(i) => (&text[..i], Some(&text[i + 1..])),
            None => (text, None),
        }
    };
    // The port, if any, is 1 to 5 digits that fit in a u16.
    if let Some(port) = port {
        let digits = !port.is_empty() && port.len() <= 5 && port.iter().all(u8::is_ascii_digit);
        if !digits || (port.len() == 5 && port > b"65535".as_slice()) {
            return Err(BAD);
        }
    }
    if host.is_empty() {
        return Err(BAD);
    }
    Ok(host)
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
            "x:65535",
            "my_host.test:1",
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
            "x:65536",
            "a:1:2",
            ":80",
            "[::1]x",
            "[]",
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
