//! A password is never printed, in any encoding or message. A role of the
//! test server checks its password (scram over TCP); every URL spelling the
//! tool accepts, and every error path we can provoke, runs the built binary,
//! and ALL its output (text and JSON) is searched for every spelling of the
//! password and for pieces of it.

use crate::support::Tool;
use crate::support::{server, Run, TestDb};
use diesel::connection::SimpleConnection;
use std::path::Path;
use std::sync::Once;

/// The password, and one with every other special character.
const PASSWORDS: [&str; 2] = ["S3cr#t@p:a/ss?w%rd", "p@ss w0rd&x=y'q\"b\\,;[]!*(){}|^~`<>"];

fn encode(pw: &str, lower: bool) -> String {
    pw.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else if lower {
                format!("%{b:02x}")
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Only `#`, `%`, `?` and `/` encoded: what a half-careful user writes.
fn partly_encoded(pw: &str) -> String {
    pw.chars()
        .map(|c| match c {
            '#' | '%' | '?' | '/' | ' ' => format!("%{:02X}", c as u32),
            c => c.to_string(),
        })
        .collect()
}

fn conninfo_quoted(pw: &str) -> String {
    format!("'{}'", pw.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Every spelling, and every 7-byte piece of the raw and encoded ones.
fn forbidden(pw: &str) -> Vec<String> {
    let mut all = vec![
        pw.to_string(),
        encode(pw, false),
        encode(pw, true),
        partly_encoded(pw),
        conninfo_quoted(pw),
        serde_json::to_string(pw).unwrap(),
    ];
    for text in [pw.to_string(), encode(pw, false)] {
        let b = text.as_bytes();
        for w in b.windows(7) {
            all.push(String::from_utf8_lossy(w).into_owned());
        }
    }
    all.sort();
    all.dedup();
    all
}

fn assert_no_leak(pw: &str, what: &str, r: &Run) {
    let all = format!("{}\n{}", r.stdout, r.stderr);
    let lower = all.to_lowercase();
    for f in forbidden(pw) {
        assert!(
            !lower.contains(&f.to_lowercase()),
            "{what}: leaked {f:?}:\n{all}"
        );
    }
}

/// A role `sec_user_N` with password `pw`, checked by scram over TCP, owning
/// a fresh database.
fn role_with_password(n: usize, pw: &str) -> (String, TestDb) {
    static HBA: Once = Once::new();
    HBA.call_once(|| {
        let hba = server().root().join("data/pg_hba.conf");
        let rules = std::fs::read_to_string(&hba).unwrap();
        std::fs::write(
            &hba,
            format!(
                "host all sec_user_0,sec_user_1,sec_user_7 127.0.0.1/32 scram-sha-256\n{rules}"
            ),
        )
        .unwrap();
    });
    let db = TestDb::new();
    let role = format!("sec_user_{n}");
    db.conn()
        .batch_execute(&format!(
            "DO $$ BEGIN CREATE ROLE {role} LOGIN SUPERUSER; EXCEPTION WHEN duplicate_object \
             THEN NULL; END $$; ALTER ROLE {role} PASSWORD '{}'; SELECT pg_reload_conf();",
            pw.replace('\'', "''")
        ))
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    (role, db)
}

enum Via<'a> {
    Flag,
    Env,
    DotEnv(&'a Path),
}
fn run(url: &str, via: Via, args: &[&str], extra_env: &[(&str, &str)]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let mut tool = Tool::new()
        .env("RAGCHAT_DEV_DIR", dir.path().join("no-local-cluster"))
        .current_dir(dir.path())
        .args(["--connect-timeout", "3"]);
    match via {
        Via::Flag => tool = tool.args(["--database-url", url]),
        Via::Env => tool = tool.env("DATABASE_URL", url),
        Via::DotEnv(project) => {
            // Single quotes: dotenvy expands `$` and escapes otherwise.
            std::fs::write(project.join(".env"), format!("DATABASE_URL='{url}'\n")).unwrap();
            tool = tool.current_dir(project);
        }
    }
    for (k, v) in extra_env {
        tool = tool.env(k, v);
    }
    tool.args(args).run()
}

#[test]
fn every_spelling_works_and_no_output_shows_the_password() {
    let port = server().port();
    for (n, pw) in PASSWORDS.iter().enumerate() {
        let (role, db) = role_with_password(n, pw);
        let d = &db.name;
        let good = [
            format!("postgresql+asyncpg://{role}:{pw}@127.0.0.1:{port}/{d}"),
            format!("postgresql+psycopg://{role}:{pw}@127.0.0.1:{port}/{d}?sslmode=disable"),
            format!(
                "postgres://{role}:{}@127.0.0.1:{port}/{d}",
                encode(pw, false)
            ),
            format!(
                "postgresql://{role}:{}@127.0.0.1:{port}/{d}",
                encode(pw, true)
            ),
            format!(
                "postgresql+psycopg2://{role}:{}@127.0.0.1:{port}/{d}",
                partly_encoded(pw)
            ),
            format!(
                "host=127.0.0.1 port={port} user={role} dbname={d} password={}",
                conninfo_quoted(pw)
            ),
            format!(
                "postgres://{role}@127.0.0.1:{port}/{d}?password={}",
                encode(pw, false)
            ),
        ];
        let commands: [&[&str]; 7] = [
            &["upgrade"],
            &["current"],
            &["history", "--verbose"],
            &["pending"],
            &["check"],
            &["--format", "json", "history"],
            &["--format", "json", "check"],
        ];
        for (i, url) in good.iter().enumerate() {
            for (j, args) in commands.iter().enumerate() {
                let via = if (i + j) % 2 == 0 {
                    Via::Flag
                } else {
                    Via::Env
                };
                let r = run(url, via, args, &[]);
                assert_eq!(r.code, 0, "{url} {args:?}:\n{}\n{}", r.stdout, r.stderr);
                assert_no_leak(pw, &format!("{url} {args:?}"), &r);
            }
        }
        if !pw.contains('\'') {
            let project = tempfile::tempdir().unwrap();
            let r = run(&good[0], Via::DotEnv(project.path()), &["current"], &[]);
            assert_eq!(r.code, 0, "{}", r.stderr);
            assert_no_leak(pw, ".env", &r);
        }
    }
}

#[test]
fn every_error_path_masks_the_password() {
    let port = server().port();
    for (n, pw) in PASSWORDS.iter().enumerate() {
        let (role, db) = role_with_password(n, pw);
        let d = &db.name;
        let enc = encode(pw, false);
        // (URL, expected exit code)
        let bad = [
            (
                format!("postgresql+asyncpg://{role}:{pw}@127.0.0.1:{port}/no_such_db"),
                1,
            ),
            (
                format!("postgresql+asyncpg://{role}:{pw}X@127.0.0.1:{port}/{d}"),
                1,
            ),
            (format!("postgres://{role}:{enc}X@127.0.0.1:{port}/{d}"), 1),
            (
                format!("postgresql+psycopg://{role}:{pw}@127.0.0.1:1/{d}"),
                1,
            ),
            (
                format!("postgresql+asyncpg://{role}:{pw}@127.0.0.1:notaport/{d}"),
                2,
            ),
            (
                format!("postgres://{role}@127.0.0.1:{port}/{d}?password=S3cr%ZZ{enc}"),
                2,
            ),
            (
                format!("postgres://{role}@127.0.0.1:{port}/{d}?password={pw}%zz"),
                2,
            ),
            (
                format!("postgres://{role}@127.0.0.1:{port}/{d}?bogus=1&password={enc}"),
                2,
            ),
            (format!("postgres://{role}:{pw}@[::1:{port}/{d}"), 2),
            (format!("mysql://{role}:{pw}@127.0.0.1:{port}/{d}"), 2),
            (
                format!("postgresql+foo://{role}:{pw}@127.0.0.1:{port}/{d}"),
                2,
            ),
            (
                format!(
                    "host=127.0.0.1 port={port} user={role} dbname={d} password={} bogus=1",
                    conninfo_quoted(pw)
                ),
                2,
            ),
            (
                format!("host=127.0.0.1 port={port} user={role} password='{enc} dbname={d}"),
                2,
            ),
        ];
        for (url, code) in &bad {
            for args in [
                &["current"][..],
                &["--format", "json", "upgrade"],
                &["check"],
            ] {
                for via in [Via::Flag, Via::Env] {
                    let r = run(url, via, args, &[]);
                    assert_eq!(r.code, *code, "{url} {args:?}:\n{}\n{}", r.stdout, r.stderr);
                    assert!(r.stderr.contains("error:"), "{}", r.stderr);
                    assert_no_leak(pw, &format!("{url} {args:?}"), &r);
                }
            }
        }
        // Nothing was applied by any of them.
        assert!(db
            .lines("SELECT count(*)::text AS v FROM pg_tables WHERE schemaname = 'public'")
            .contains(&"0".to_string()));
    }
}

#[test]
fn a_pgpass_file_supplies_the_password() {
    let pw = PASSWORDS[0];
    let (role, db) = role_with_password(7, pw);
    let port = server().port();
    let url = format!("postgres://{role}@127.0.0.1:{port}/{}", db.name);
    let home = tempfile::tempdir().unwrap();
    // .pgpass escapes `:` and `\` with a backslash.
    let escaped = pw.replace('\\', "\\\\").replace(':', "\\:");
    let line = format!("127.0.0.1:{port}:{}:{role}:{escaped}\n", db.name);
    let write_private = |path: &Path| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(path, &line).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    };
    let nowhere = home.path().join("none");
    let without = run(
        &url,
        Via::Env,
        &["current"],
        &[("PGPASSFILE", nowhere.to_str().unwrap())],
    );
    assert_eq!(without.code, 1, "{}", without.stderr);

    let passfile = home.path().join("passfile");
    write_private(&passfile);
    let r = run(
        &url,
        Via::Env,
        &["upgrade"],
        &[("PGPASSFILE", passfile.to_str().unwrap())],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_no_leak(pw, "PGPASSFILE", &r);

    write_private(&home.path().join(".pgpass"));
    let r = run(
        &url,
        Via::Env,
        &["current"],
        &[("HOME", home.path().to_str().unwrap())],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("(head)"), "{}", r.stdout);
    assert_no_leak(pw, "~/.pgpass", &r);
}
