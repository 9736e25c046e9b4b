//! Passwords never reach the screen, in any spelling.
//!
//! A password can appear in a message raw (`S3cr#t@p`), percent-encoded in
//! upper or lower case (`S3cr%23t%40p`, `s3cr%23T...` is another password),
//! partly encoded, escaped by conninfo quoting or JSON (`\'`, `\"`), or as a
//! form-encoded `+` for a space. Every password the tool learns of (from a
//! URL or conninfo string it parses, or `PGPASSWORD`) is registered here,
//! and [`mask`] replaces each occurrence in any of those spellings with
//! `***`. The CLI passes everything it prints through [`mask`].
//!
//! Short passwords (under 8 characters, like the seed's `pass`) are masked
//! only where they do not run into letters or digits on either side, so that
//! `password authentication failed` stays readable; a password shows up in a
//! message delimited by `:`, `@`, `=`, quotes or spaces.

use std::sync::Mutex;

static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Below this many bytes a password is only masked as a whole token.
const SHORT: usize = 8;

/// An error kept as the source of another whose text held a password: its
/// message, masked. `Display` and `Debug` both show only the masked text.
#[derive(Debug)]
pub struct MaskedError(pub String);

impl std::fmt::Display for MaskedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MaskedError {}

/// `error` as a source that can be printed safely: the error itself (so an
/// application can downcast it) when neither its message nor its `Debug`
/// form holds a password, else a [`MaskedError`] with the masked message.
pub fn safe_source<E>(error: E) -> Box<dyn std::error::Error + Send + Sync>
where
    E: std::error::Error + Send + Sync + 'static,
{
    let (shown, debug) = (error.to_string(), format!("{error:?}"));
    if mask(&shown) == shown && mask(&debug) == debug {
        Box::new(error)
    } else {
        Box::new(MaskedError(mask(&shown)))
    }
}

/// Remembers `secret` (as written, and percent-decoded) for [`mask`].
pub fn register(secret: &str) {
    if secret.is_empty() {
        return;
    }
    let mut secrets = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    for s in [secret.to_string(), percent_decode_lenient(secret)] {
        if !s.is_empty() && !secrets.contains(&s) {
            secrets.push(s);
        }
    }
    // Longest first: a password that contains another is masked whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// Registers every password written in a URL or conninfo string.
pub fn register_from(raw: &str) {
    for candidate in candidates(raw) {
        register(&candidate);
    }
}

/// `text` with every registered password masked as `***`.
pub fn mask(text: &str) -> String {
    let secrets = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    if secrets.is_empty() {
        return text.to_string();
    }
    mask_with(text, &secrets)
}

/// `text` with each of `secrets` masked, in every spelling.
pub fn mask_with(text: &str, secrets: &[String]) -> String {
    let t = text.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(t.len());
    let mut i = 0;
    'scan: while i < t.len() {
        for secret in secrets.iter().filter(|s| !s.is_empty()) {
            if let Some(end) = match_at(t, i, secret.as_bytes()).filter(|&end| end > i) {
                let glued_before = i > 0 && t[i - 1].is_ascii_alphanumeric();
                let glued_after = t.get(end).is_some_and(u8::is_ascii_alphanumeric);
                let whole_token = !glued_before && !glued_after;
                if secret.len() >= SHORT || whole_token {
                    out.extend_from_slice(b"***");
                    i = end;
                    continue 'scan;
                }
            }
        }
        out.push(t[i]);
        i += 1;
    }
    // Only whole secrets were cut out, each replaced by ASCII, and a secret
    // is matched byte by byte, so the result is still UTF-8 unless a match
    // began or ended inside a character, which `match_at` cannot do for a
    // UTF-8 secret; fall back to a lossy conversion all the same.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Where `secret` ends when it is spelled at `t[i..]`: each byte literally,
/// as `%XX` (either case), after a `\` escape, or `+` for a space. A `%`
/// of the secret may be literal or `%25`, so both are tried.
fn match_at(t: &[u8], i: usize, secret: &[u8]) -> Option<usize> {
    let (&b, rest) = match secret.split_first() {
        Some(split) => split,
        None => return Some(i),
    };
    let c = *t.get(i)?;
    let mut spellings = [None; 4];
    if c == b {
        spellings[0] = Some(i + 1);
    }
    if c == b'%' && t.get(i + 1..i + 3).and_then(hex_byte) == Some(b) {
        spellings[1] = Some(i + 3);
    }
    if c == b'\\' && t.get(i + 1) == Some(&b) {
        spellings[2] = Some(i + 2);
    }
    if b == b' ' && c == b'+' {
        spellings[3] = Some(i + 1);
    }
    spellings
        .into_iter()
        .flatten()
        .find_map(|next| match_at(t, next, rest))
}

fn hex_byte(pair: &[u8]) -> Option<u8> {
    let s = std::str::from_utf8(pair).ok()?;
    u8::from_str_radix(s, 16).ok()
}

/// Decodes the valid `%XX` escapes of `text`, leaving anything else as is.
pub fn percent_decode_lenient(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if let Some(v) = b.get(i + 1..i + 3).and_then(hex_byte) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The passwords written in a URL or conninfo string, as written: the user
/// info of a URL (read both the RFC way and SQLAlchemy's up-to-the-last-`@`
/// way), every `password=` value (URL parameter or conninfo key, quoted or
/// not). Works on malformed input too, since parse errors quote it.
pub fn candidates(raw: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some((_, rest)) = raw.split_once("://") {
        let rfc_authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        for userinfo in [
            rfc_authority.rsplit_once('@').map(|(u, _)| u),
            rest.rsplit_once('@').map(|(u, _)| u),
        ]
        .into_iter()
        .flatten()
        {
            if let Some((_, password)) = userinfo.split_once(':') {
                out.push(password.to_string());
            }
        }
    }
    let lower = raw.to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = lower[from..].find("password") {
        let start = from + found + "password".len();
        from = start;
        let after = raw[start..].trim_start();
        let Some(value) = after.strip_prefix('=') else {
            continue;
        };
        let value = value.trim_start();
        if let Some(quoted) = value.strip_prefix('\'') {
            out.push(unquote(quoted));
        }
        out.push(
            value
                .split([' ', '\t', '\n', '&'])
                .next()
                .unwrap_or("")
                .into(),
        );
        let whole = value.split([' ', '\t', '\n']).next().unwrap_or("");
        out.push(whole.into());
        // `?password=ab&cd`: a piece after `&` with no `=` is no parameter
        // but the rest of a password with an unencoded `&`, which libpq
        // echoes alone ("invalid URI query parameter: \"cd\"").
        out.extend(
            whole
                .split('&')
                .skip(1)
                .filter(|piece| !piece.contains('='))
                .map(String::from),
        );
    }
    out.retain(|c| !c.is_empty());
    out.dedup();
    out
}

/// A conninfo single-quoted value up to its closing quote, unescaped.
fn unquote(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            '\'' => break,
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_that_would_show_a_password_is_kept_masked() {
        register("Tr1cky-S3cret-pw");
        let leaky = std::io::Error::other("bad parameter password=Tr1cky-S3cret-pw");
        let kept = safe_source(leaky);
        assert!(kept.downcast_ref::<MaskedError>().is_some());
        assert!(!kept.to_string().contains("Tr1cky"), "{kept}");
        assert!(!format!("{kept:?}").contains("Tr1cky"), "{kept:?}");
        let harmless = safe_source(std::io::Error::other("connection refused"));
        assert!(harmless.downcast_ref::<std::io::Error>().is_some());
    }

    const PW: &str = "S3cr#t@p:a/ss?w%rd";

    fn masked(text: &str, secret: &str) -> String {
        mask_with(text, &[secret.to_string()])
    }

    #[test]
    fn every_spelling_is_masked() {
        for spelling in [
            PW,
            "S3cr%23t%40p%3Aa%2Fss%3Fw%25rd",
            "S3cr%23t%40p%3aa%2fss%3fw%25rd",
            "S3cr#t%40p:a%2Fss?w%25rd",
            "S3cr#t@p:a/ss?w%25rd",
            "S3cr\\#t@p:a/ss?w%rd",
        ] {
            let text = format!("error near \"{spelling}\" in the URL");
            assert_eq!(
                masked(&text, PW),
                "error near \"***\" in the URL",
                "{spelling}"
            );
        }
    }

    #[test]
    fn short_passwords_are_masked_as_tokens_only() {
        assert_eq!(
            masked("password authentication failed for u:pass@h", "pass"),
            "password authentication failed for u:***@h"
        );
    }

    #[test]
    fn candidates_cover_urls_params_and_conninfo() {
        let c = candidates(&format!("postgresql+asyncpg://app:{PW}@db:5432/x"));
        assert!(c.contains(&PW.to_string()), "{c:?}");
        let c = candidates("postgres://app@db/x?sslmode=require&password=ab%zz&x=1");
        assert!(c.contains(&"ab%zz".to_string()), "{c:?}");
        let c = candidates("host=db password = 'it\\'s secret' dbname=x");
        assert!(c.contains(&"it's secret".to_string()), "{c:?}");
        let c = candidates("host=db PASSWORD=plain dbname=x");
        assert!(c.contains(&"plain".to_string()), "{c:?}");
    }

    #[test]
    fn an_ampersand_inside_a_password_parameter_masks_both_pieces() {
        let raw = "postgres://app@db/ragchat?password=Lead1ng&Tra1l1ng&sslmode=disable";
        let found = candidates(raw);
        assert!(found.contains(&"Lead1ng".to_string()), "{found:?}");
        assert!(found.contains(&"Tra1l1ng".to_string()), "{found:?}");
        assert!(!found.contains(&"sslmode=disable".to_string()), "{found:?}");
        let shown = mask_with("invalid URI query parameter: \"Tra1l1ng\"", &found);
        assert!(!shown.contains("Tra1l1ng"), "{shown}");
    }

    #[test]
    fn decoding_keeps_what_is_not_an_escape() {
        assert_eq!(percent_decode_lenient("a%41%zz%4"), "aA%zz%4");
    }
}
