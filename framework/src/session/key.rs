//! The app's secret keys and what is done with them: sealing a cookie value
//! (AES-256-GCM through the `cookie` crate's private jar, keys expanded with HKDF) and
//! opening it again with the current key or an older one (rotation).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use cookie::{Cookie, CookieJar, Key};

/// The environment variable holding the secret key (hex or base64, at least 32 bytes).
pub(crate) const SECRET_KEY_VAR: &str = "KILN_SECRET_KEY";

/// The environment variable holding older keys still accepted for reading, comma-separated.
pub(crate) const OLD_KEYS_VAR: &str = "KILN_OLD_SECRET_KEYS";

/// The shortest secret key accepted, in bytes.
pub(crate) const MIN_KEY_LEN: usize = 32;

/// The current key, which seals, and older ones, which still open.
pub(crate) struct KeyRing {
    current: Key,
    old: Vec<Key>,
}

impl KeyRing {
    /// A ring from raw key material (each at least [`MIN_KEY_LEN`] bytes).
    pub(crate) fn new(current: &[u8], old: &[Vec<u8>]) -> KeyRing {
        KeyRing {
            current: Key::derive_from(current),
            old: old.iter().map(|k| Key::derive_from(k)).collect(),
        }
    }

    /// A ring with a random key, for debug builds that set none.
    pub(crate) fn random() -> KeyRing {
        let mut bytes = [0u8; 32];
        fill_random(&mut bytes);
        KeyRing::new(&bytes, &[])
    }

    /// `value` encrypted and authenticated for the cookie `name` (the name is bound in,
    /// so a value cannot be moved to another cookie).
    pub(crate) fn seal(&self, name: &'static str, value: String) -> String {
        let mut jar = CookieJar::new();
        jar.private_mut(&self.current).add(Cookie::new(name, value));
        jar.get(name)
            .map(|c| c.value().to_string())
            .unwrap_or_default()
    }

    /// The plain value of a sealed cookie, if some key of the ring opens it.
    pub(crate) fn open(&self, name: &'static str, sealed: &str) -> Option<String> {
        let mut jar = CookieJar::new();
        jar.add_original(Cookie::new(name, sealed.to_string()));
        std::iter::once(&self.current)
            .chain(&self.old)
            .find_map(|key| jar.private(key).get(name))
            .map(|c| c.value().to_string())
    }
}

/// Fills `buf` from the operating system's random source.
pub(crate) fn fill_random(buf: &mut [u8]) {
    if let Err(e) = getrandom::fill(buf) {
        // Without randomness no token or key is safe to make: stop, loudly.
        panic!("kiln: the operating system's random source failed: {e}");
    }
}

/// A fresh random token (32 bytes, URL-safe base64): session ids and CSRF tokens.
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    fill_random(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Key material from text: hex or base64 (standard or URL-safe), at least 32 bytes.
pub(crate) fn decode_key(text: &str) -> Result<Vec<u8>, String> {
    let text = text.trim();
    let bytes = decode_hex(text)
        .or_else(|| STANDARD.decode(text).ok())
        .or_else(|| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok())
        .ok_or_else(|| "is neither hex nor base64".to_string())?;
    if bytes.len() < MIN_KEY_LEN {
        return Err(format!(
            "is {} bytes; a secret key needs at least {MIN_KEY_LEN} (make one with `openssl rand -hex 32`)",
            bytes.len()
        ));
    }
    Ok(bytes)
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_with_the_key_and_not_otherwise() {
        let ring = KeyRing::new(&[7u8; 32], &[]);
        let sealed = ring.seal("kiln_session", "hello".into());
        assert_ne!(sealed, "hello");
        assert_eq!(ring.open("kiln_session", &sealed).as_deref(), Some("hello"));
        assert_eq!(
            ring.open("other", &sealed),
            None,
            "bound to the cookie name"
        );
        let other = KeyRing::new(&[8u8; 32], &[]);
        assert_eq!(other.open("kiln_session", &sealed), None);
        let rotated = KeyRing::new(&[8u8; 32], &[vec![7u8; 32]]);
        assert_eq!(
            rotated.open("kiln_session", &sealed).as_deref(),
            Some("hello"),
            "an old key still opens"
        );
    }

    #[test]
    fn keys_decode_from_hex_and_base64() {
        let hex = "00".repeat(32);
        assert_eq!(decode_key(&hex).unwrap(), vec![0u8; 32]);
        let b64 = STANDARD.encode([1u8; 40]);
        assert_eq!(decode_key(&b64).unwrap(), vec![1u8; 40]);
        assert!(decode_key("abcd").unwrap_err().contains("at least 32"));
        assert!(decode_key("not a key!").is_err());
    }
}
