//! Database URLs: the spellings users bring (including the Python side's
//! `postgresql+asyncpg://`), validated by libpq's own parser so that what we
//! accept is exactly what a connection will accept, and shown everywhere with
//! the password masked.

use crate::database::pg_error::{classify_connect, ConnectFailure};
use crate::error::{Error, Result};
use std::ffi::{CStr, CString};

/// A validated connection string and its masked form.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    conninfo: String,
    masked: String,
    dbname: Option<String>,
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never let a password reach a log through Debug.
        f.debug_tuple("DatabaseUrl").field(&self.masked).finish()
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.masked)
    }
}

impl DatabaseUrl {
    /// Parses a URL or key/value conninfo string.
    pub fn parse(raw: &str) -> Result<Self> {
        // Whatever went wrong, the message must not carry the password.
        Self::parse_unscrubbed(raw).map_err(|e| match e {
            Error::InvalidUrl { reason } => Error::InvalidUrl {
                reason: scrub(&reason, raw),
            },
            other => other,
        })
    }

    fn parse_unscrubbed(raw: &str) -> Result<Self> {
        crate::config::secrets::register_from(raw);
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(Error::InvalidUrl {
                reason: "it is empty".into(),
            });
        }
        let conninfo = normalise_scheme(raw)?;
        let options = conninfo_parse(&conninfo).map_err(|reason| Error::InvalidUrl {
            reason: scrub(&reason, raw),
        })?;
        let get = |key: &str| {
            options
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        if let Some(ports) = get("port") {
            for port in ports.split(',').filter(|p| !p.is_empty()) {
                if !port.parse::<u16>().is_ok_and(|p| p > 0) {
                    return Err(Error::InvalidUrl {
                        reason: format!("invalid port `{port}`: ports are numbers from 1 to 65535"),
                    });
                }
            }
        }
        let host = get("host").or_else(|| get("hostaddr")).unwrap_or_default();
        let port = get("port").map(|p| format!(":{p}")).unwrap_or_default();
        let user = get("user").unwrap_or_default();
        if let Some(secret) = get("password") {
            crate::config::secrets::register(&secret);
        }
        let password = get("password").map(|_| ":***").unwrap_or_default();
        let dbname = get("dbname");
        let at = if user.is_empty() && password.is_empty() {
            ""
        } else {
            "@"
        };
        let masked = format!(
            "postgres://{}{password}{at}{}{port}/{}",
            encode(&user),
            encode(&host),
            encode(dbname.as_deref().unwrap_or(""))
        );
        Ok(DatabaseUrl {
            conninfo,
            masked,
            dbname,
        })
    }

    /// The same server and credentials, another database. Rebuilt from
    /// libpq's parsed options as a conninfo string, so every spelling of the
    /// original works.
    pub fn with_dbname(&self, dbname: &str) -> Result<Self> {
        let options =
            conninfo_parse(&self.conninfo).map_err(|reason| Error::InvalidUrl { reason })?;
        let mut parts: Vec<String> = options
            .into_iter()
            .filter(|(k, _)| k != "dbname")
            .map(|(k, v)| format!("{k}={}", conninfo_quote(&v)))
            .collect();
        parts.push(format!("dbname={}", conninfo_quote(dbname)));
        Self::parse(&parts.join(" "))
    }

    /// Opens a connection, giving up after `timeout_secs`; a failure names
    /// the masked URL, libpq's reason and the likely fix.
    pub fn connect(&self, timeout_secs: u64) -> Result<diesel::PgConnection> {
        use diesel::Connection;
        diesel::PgConnection::establish(&self.conninfo(timeout_secs)).map_err(|e| {
            let text = e.to_string();
            let failure = classify_connect(&text);
            // The connection was made; the session's first statements (time
            // zone, encoding) were cancelled: not a connection problem.
            if failure == ConnectFailure::StatementTimeout {
                return Error::Database {
                    message: format!(
                        "setting up the session on {} failed: {}\n  statement_timeout (set for \
                         the role, the database or the URL's options) cancelled it; fix: raise \
                         or reset it for the migration role (`ALTER ROLE ... RESET \
                         statement_timeout`), or pass `?options=-cstatement_timeout%3D0` in the \
                         URL",
                        self.masked,
                        text.trim()
                    ),
                    source: match e {
                        diesel::ConnectionError::CouldntSetupConfiguration(query) => Some(query),
                        _ => None,
                    },
                };
            }
            Error::Connect {
                url: self.masked.clone(),
                reason: crate::config::secrets::mask(&connection_reason(&text, failure)),
                source: Some(crate::config::secrets::safe_source(e)),
            }
        })
    }

    /// The URL as shown to people: `postgres://user:***@host:port/db`.
    pub fn masked(&self) -> &str {
        &self.masked
    }

    /// The database name, when the URL names one.
    pub fn dbname(&self) -> Option<&str> {
        self.dbname.as_deref()
    }

    /// The string to hand libpq, with a connect timeout and an application
    /// name (so a waiting migrator can tell who holds the lock) added unless
    /// the user set them.
    pub fn conninfo(&self, connect_timeout_secs: u64) -> String {
        let mut extra = Vec::new();
        if !self.conninfo.contains("connect_timeout") {
            extra.push(("connect_timeout", connect_timeout_secs.max(1).to_string()));
        }
        if !self.conninfo.contains("application_name") {
            extra.push(("application_name", "ragchat-migrate".to_string()));
        }
        if extra.is_empty() {
            return self.conninfo.clone();
        }
        if is_uri(&self.conninfo) {
            let mut s = self.conninfo.clone();
            for (k, v) in extra {
                s.push(if s.contains('?') { '&' } else { '?' });
                s.push_str(&format!("{k}={v}"));
            }
            s
        } else {
            let mut s = self.conninfo.clone();
            for (k, v) in extra {
                s.push_str(&format!(" {k}={v}"));
            }
            s
        }
    }
}

fn is_uri(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

/// `postgresql+asyncpg://`, `+psycopg2`, `+psycopg` (SQLAlchemy dialect
/// spellings) become `postgresql://`; other schemes are refused.
fn normalise_scheme(raw: &str) -> Result<String> {
    let Some((scheme, rest)) = raw.split_once("://") else {
        if raw.contains('=') {
            return Ok(raw.to_string());
        }
        return Err(Error::InvalidUrl {
            reason: "it is neither a URL (postgres://...) nor key=value pairs".into(),
        });
    };
    let (base, driver) = scheme
        .split_once('+')
        .map_or((scheme, None), |(b, d)| (b, Some(d)));
    if base != "postgres" && base != "postgresql" {
        return Err(Error::InvalidUrl {
            reason: format!(
                "unsupported scheme `{scheme}://`; this tool speaks to PostgreSQL only"
            ),
        });
    }
    match driver {
        None | Some("asyncpg") | Some("psycopg2") | Some("psycopg") | Some("pg8000") => {
            Ok(format!("postgresql://{}", libpq_authority_and_query(rest)))
        }
        Some(other) => Err(Error::InvalidUrl {
            reason: format!("unknown driver `+{other}` in `{scheme}://`"),
        }),
    }
}

/// SQLAlchemy and asyncpg take the user info up to the last `@` and accept
/// `/`, `?`, `#` and `@` in a password as they are; libpq stops at the first
/// `/` and would read part of the password as the host (and print it). So the
/// user info is percent-encoded here. asyncpg's `ssl=` becomes libpq's
/// `sslmode=`.
fn libpq_authority_and_query(rest: &str) -> String {
    // The user info ends at the last `@` before the query string, which
    // starts at the first `?` followed by a parameter (`?sslmode=`,
    // `?password=`): a `?` inside a password is not followed by one.
    let query = query_start(rest).unwrap_or(rest.len());
    let (userinfo, after) = match rest[..query].rfind('@') {
        Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
        None => (None, rest),
    };
    let mut out = String::new();
    if let Some(info) = userinfo {
        match info.split_once(':') {
            Some((user, password)) => {
                out.push_str(&percent_encode(user));
                out.push(':');
                out.push_str(&percent_encode(password));
            }
            None => out.push_str(&percent_encode(info)),
        }
        out.push('@');
    }
    match after.split_once('?') {
        Some((location, query)) => {
            let params: Vec<String> = query
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some(("ssl", "true")) => "sslmode=require".to_string(),
                    Some(("ssl", "false")) => "sslmode=disable".to_string(),
                    Some(("ssl", mode)) => format!("sslmode={mode}"),
                    _ => p.to_string(),
                })
                .collect();
            out.push_str(location);
            out.push('?');
            out.push_str(&params.join("&"));
        }
        None => out.push_str(after),
    }
    out
}

/// Where the query string of a URL's remainder starts: the first `?` that
/// is followed by `key=` with a key made of lowercase letters and `_`.
fn query_start(rest: &str) -> Option<usize> {
    rest.match_indices('?').map(|(i, _)| i).find(|&i| {
        let after = &rest[i + 1..];
        let key_len = after
            .bytes()
            .take_while(|b| b.is_ascii_lowercase() || *b == b'_')
            .count();
        key_len > 0 && after.as_bytes().get(key_len) == Some(&b'=')
    })
}

/// Percent-encodes everything but unreserved characters, keeping escapes
/// that are already there (`p%40ss` stays as the user wrote it).
fn percent_encode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let escape = b == b'%'
            && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') || escape {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
        i += 1;
    }
    out
}

/// libpq's `PQconninfoParse`: the exact rules libpq will connect by.
fn conninfo_parse(conninfo: &str) -> std::result::Result<Vec<(String, String)>, String> {
    let c = CString::new(conninfo).map_err(|_| "it contains a NUL byte".to_string())?;
    let mut err: *mut std::os::raw::c_char = std::ptr::null_mut();
    // SAFETY: `c` is a valid C string; libpq returns either an array it
    // allocated (terminated by an entry with a null keyword) or null with an
    // error message it allocated; both are freed below with libpq's own
    // functions.
    unsafe {
        let options = pq_sys::PQconninfoParse(c.as_ptr(), &mut err);
        if options.is_null() {
            let message = if err.is_null() {
                "libpq could not parse it (out of memory?)".to_string()
            } else {
                let m = CStr::from_ptr(err).to_string_lossy().trim().to_string();
                pq_sys::PQfreemem(err.cast());
                m
            };
            return Err(message);
        }
        let mut out = Vec::new();
        let mut i = 0;
        loop {
            let opt = &*options.add(i);
            if opt.keyword.is_null() {
                break;
            }
            if !opt.val.is_null() {
                out.push((
                    CStr::from_ptr(opt.keyword).to_string_lossy().into_owned(),
                    CStr::from_ptr(opt.val).to_string_lossy().into_owned(),
                ));
            }
            i += 1;
        }
        pq_sys::PQconninfoFree(options);
        Ok(out)
    }
}

/// libpq's connection failure, with the likely fix for the common cases.
fn connection_reason(message: &str, failure: ConnectFailure) -> String {
    let message = message.trim();
    let fix = match failure {
        ConnectFailure::BadPassword => "check the user name and password in the URL",
        ConnectFailure::NoDatabase => {
            "create the database (createdb NAME) or fix the name in the URL"
        }
        ConnectFailure::NoServer => "start the server, or fix the host and port in the URL",
        ConnectFailure::Timeout => "check the host and any firewall, or raise --connect-timeout",
        ConnectFailure::UnknownHost => "fix the host name in the URL",
        ConnectFailure::StatementTimeout | ConnectFailure::Other => {
            "check the URL and that the server accepts connections"
        }
    };
    format!("{message}\n  fix: {fix}")
}

/// A conninfo value in single quotes (backslash and quote escaped).
pub(crate) fn conninfo_quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Removes any password of the raw input, in any spelling, from an error text.
fn scrub(message: &str, raw: &str) -> String {
    crate::config::secrets::mask_with(
        &crate::config::secrets::mask(message),
        &crate::config::secrets::candidates(raw),
    )
}

/// Percent-encodes what would break a URL's authority or path.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '/' | '@' | ':' | '?' | '#' | '%' | ' ' | ',' => {
                out.push_str(&format!("%{:02X}", ch as u32))
            }
            _ => out.push(ch),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_spellings_are_normalised_and_masked() {
        let url =
            DatabaseUrl::parse("postgresql+asyncpg://user:pass@localhost:5432/ragchat").unwrap();
        assert_eq!(url.masked(), "postgres://user:***@localhost:5432/ragchat");
        assert!(url
            .conninfo(10)
            .starts_with("postgresql://user:pass@localhost:5432/ragchat?"));
        assert!(url.conninfo(10).contains("connect_timeout=10"));
        for scheme in [
            "postgres",
            "postgresql",
            "postgresql+psycopg2",
            "postgresql+psycopg",
        ] {
            let url = DatabaseUrl::parse(&format!("{scheme}://u:secret@db/x")).unwrap();
            assert!(!format!("{url} {url:?}").contains("secret"));
            assert_eq!(url.dbname(), Some("x"));
        }
    }

    #[test]
    fn another_database_on_the_same_server() {
        let url = DatabaseUrl::parse("postgresql+asyncpg://u:p w'x@db:5433/main?sslmode=disable")
            .unwrap()
            .with_dbname("scratch_1")
            .unwrap();
        assert_eq!(url.masked(), "postgres://u:***@db:5433/scratch_1");
        assert_eq!(url.dbname(), Some("scratch_1"));
        let info = url.conninfo(5);
        assert!(
            info.contains("password='p w\\'x'") && info.contains("sslmode='disable'"),
            "{info}"
        );
    }

    #[test]
    fn passwords_with_url_characters_are_kept_whole_and_never_shown() {
        for password in ["2024/s3cret", "Xy/9k", "a?b", "p@ss", "we#ird", "p%40ss"] {
            let raw = format!("postgresql+asyncpg://app:{password}@db.example:5433/ragchat");
            let url = DatabaseUrl::parse(&raw).unwrap();
            assert_eq!(
                url.masked(),
                "postgres://app:***@db.example:5433/ragchat",
                "{password}"
            );
            assert_eq!(url.dbname(), Some("ragchat"));
        }
        let url = DatabaseUrl::parse("postgresql+asyncpg://u:p@h/db?ssl=require").unwrap();
        assert!(
            url.conninfo(3).contains("sslmode=require"),
            "{}",
            url.conninfo(3)
        );
        let err = DatabaseUrl::parse("postgresql://app:Xy/9k@h:1/db?port=Xy").unwrap_err();
        assert!(!err.to_string().contains("Xy/9k"), "{err}");
    }

    #[test]
    fn conninfo_strings_work() {
        let url = DatabaseUrl::parse("host=/tmp/pg port=5433 dbname=ragchat user=me password=pw")
            .unwrap();
        assert_eq!(url.masked(), "postgres://me:***@%2Ftmp%2Fpg:5433/ragchat");
        assert!(url
            .conninfo(3)
            .ends_with("connect_timeout=3 application_name=ragchat-migrate"));
    }

    #[test]
    fn malformed_urls_are_refused_without_leaking_the_password() {
        for bad in [
            "mysql://u:p@h/db",
            "postgresql+foo://u:p@h/db",
            "nonsense",
            "",
            "postgresql://u:hunter2@h:notaport/db",
            "host=h password=hunter2 bogus=1",
        ] {
            let err = DatabaseUrl::parse(bad).unwrap_err();
            assert_eq!(err.kind(), crate::error::ErrorKind::BadInput, "{bad}");
            assert!(!err.to_string().contains("hunter2"), "{err}");
        }
    }

    #[test]
    fn a_failed_connection_keeps_the_driver_error_as_its_source() {
        use std::error::Error as _;
        // Port 1 on loopback: nothing listens there, so libpq is refused at once.
        let url = DatabaseUrl::parse("postgres://u:secret@127.0.0.1:1/db").unwrap();
        let Err(err) = url.connect(2) else {
            panic!("connected to port 1")
        };
        assert!(matches!(err, Error::Connect { .. }), "{err}");
        let source = err.source().expect("a source");
        assert!(source.downcast_ref::<diesel::ConnectionError>().is_some());
        assert!(!err.to_string().contains("secret"), "{err}");
    }
}
