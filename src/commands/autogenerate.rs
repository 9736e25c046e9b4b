//! `create NAME --autogenerate [--desired FILE.sql | --schema FILE.rs]`:
//! build the migrations' schema on a scratch database, build the desired
//! one (a second scratch database for a SQL file, the models for
//! `schema.rs`), generate, prove on the first scratch database, and only
//! then write the migration directories.

use super::context::{Connected, Context};
use crate::cli::AutogenOptions;
use crate::outcome::Outcome;
use crate::output::create::Generated;
use crate::output::Style;
use ragchat_migrate::autogen::{self, models, sql_file, Plan, Proof};
use ragchat_migrate::config::project::SourceDescription;
use ragchat_migrate::database::migrator::{self, RunOptions};
use ragchat_migrate::error::{Error, Result};
use ragchat_migrate::lint::LintConfig;
use ragchat_migrate::migrations::source::{MigrationScript, MigrationSet, Source};
use ragchat_migrate::proof::catalog::{self, Snapshot};
use ragchat_migrate::proof::scratch::ScratchDb;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Where the desired schema comes from.
enum Desired {
    /// A SQL file of the whole schema.
    File(PathBuf),
    /// Diesel's `schema.rs` (and the `DbEnum`s of the models next to it).
    Models(models::ModelSchema, PathBuf),
}

impl Context {
    /// `create NAME --autogenerate`: build both schemas, generate, prove,
    /// and only then write.
    pub(super) fn autogenerate(&self, name: &str, opts: &AutogenOptions) -> Result<Outcome> {
        validate_name(name)?;
        let dir = self.migrations_dir_for_create()?;
        let existing = MigrationSet::load(&Source::Directory(dir.clone()))?;
        record_source(self.global.migrations_dir.as_deref(), &dir);
        if let Some(m) = existing.all().iter().find(|m| m.label() == name) {
            return Err(Error::Usage(format!(
                "a migration named {name} already exists: {}; fix: choose another name",
                m.dir_name
            )));
        }
        let desired = desired_schema(opts, &dir)?;
        let mut db = self.connect()?;
        let timeout = self.global.connect_timeout;
        let mut base_db = ScratchDb::create(&db.url, &mut db.conn, timeout)?;
        let mut conn = base_db.take_connection()?;
        migrator::apply_exactly(
            &mut conn,
            &existing,
            existing.all().iter().collect(),
            &RunOptions::default(),
        )?;
        let base = catalog::snapshot(&mut conn)?;
        let (mut plan, source, target) = self.plan_to(&desired, name, &base, &mut db)?;
        if plan.changes.is_empty() && plan.unsupported.is_empty() {
            self.report_nothing(&source);
            return Ok(Outcome::Success);
        }
        self.refuse_unsupported(&plan, opts.force)?;
        self.acknowledge_lint(&mut plan, &mut db.conn)?;
        let scripts = scripts(&existing, &plan)?;
        let proof = autogen::prove(
            &mut conn,
            &existing,
            &scripts,
            &base,
            &|after: &Snapshot| {
                Ok(match &desired {
                    Desired::File(_) => autogen::differences_up_to_column_order(&target, after),
                    Desired::Models(model, _) => model.differences(after),
                })
            },
        )?;
        self.refuse_unproven(&proof, opts.force && !plan.unsupported.is_empty())?;
        let created = write(&dir, &scripts)?;
        self.report(&plan, &proof, &source, &created);
        Ok(Outcome::Success)
    }

    /// The plan from the migrations' schema (`base`) to the desired one;
    /// a SQL file is applied on a scratch database of its own first.
    fn plan_to(
        &self,
        desired: &Desired,
        name: &str,
        base: &Snapshot,
        db: &mut Connected,
    ) -> Result<(Plan, String, Snapshot)> {
        let timeout = self.global.connect_timeout;
        Ok(match desired {
            Desired::File(file) => {
                let text =
                    std::fs::read_to_string(file).map_err(|e| Error::io(file.display(), e))?;
                let statements = sql_file::statements(&text);
                let desired_db = ScratchDb::create(&db.url, &mut db.conn, timeout)?;
                let mut dconn = desired_db.connect()?;
                sql_file::apply(&mut dconn, &file.display().to_string(), &statements)?;
                let snapshot = catalog::snapshot(&mut dconn)?;
                let concurrent =
                    concurrent_identities(&snapshot, &sql_file::concurrent_indexes(&statements));
                let source = file.display().to_string();
                let plan = autogen::plan(name, &source, base, &snapshot, concurrent, Vec::new());
                (plan, source, snapshot)
            }
            Desired::Models(model, path) => {
                let (snapshot, unsupported) = model.desired_snapshot(base);
                let source = path.display().to_string();
                let plan =
                    autogen::plan(name, &source, base, &snapshot, BTreeSet::new(), unsupported);
                (plan, source, snapshot)
            }
        })
    }

    /// Nothing differs: says so, with the same JSON fields as a generated
    /// run (docs/json.md), empty.
    fn report_nothing(&self, source: &str) {
        self.printer
            .line("nothing to generate: the migrations already give the desired schema");
        self.printer.json_of(&Generated {
            created: &[],
            desired_from: source,
            plan: &Plan::default(),
            proof: None,
            nothing_to_generate: true,
        });
    }

    /// Differences the generator cannot write: refused, or with `--force`
    /// written as `-- TODO` comments (and said so).
    fn refuse_unsupported(&self, plan: &Plan, force: bool) -> Result<()> {
        if plan.unsupported.is_empty() {
            return Ok(());
        }
        let list: Vec<String> = plan
            .unsupported
            .iter()
            .map(|u| {
                let mut line = format!("    {}: {}", u.object, u.reason);
                for s in &u.sql {
                    line.push_str(&format!("\n        {s}"));
                }
                line
            })
            .collect();
        if force {
            self.printer.note(format!(
                "warning: written as -- TODO comments, not generated:\n{}",
                list.join("\n")
            ));
            return Ok(());
        }
        Err(Error::refused(format!(
            "cannot generate {} difference(s); nothing was written:\n{}\n  fix: write those \
             changes by hand (`create NAME` gives empty files), or pass --force to write the \
             rest with these as -- TODO comments",
            plan.unsupported.len(),
            list.join("\n")
        )))
    }

    /// Lints the generated `up.sql` files with the project's lint
    /// configuration (as the `upgrade` gate will) and acknowledges each
    /// error-level finding in the file; see [`autogen::acknowledge`].
    fn acknowledge_lint(&self, plan: &mut Plan, conn: &mut diesel::PgConnection) -> Result<()> {
        let config = LintConfig::for_server(conn)?;
        let (acknowledged, remaining) =
            autogen::acknowledge::acknowledge(&mut plan.migrations, &config);
        plan.acknowledged = acknowledged;
        for r in remaining {
            self.printer.note(format!(
                "{} the upgrade gate will refuse {r}",
                self.printer.paint("warning:", Style::Warn)
            ));
        }
        Ok(())
    }

    /// The proof on the scratch database failed: nothing is written.
    fn refuse_unproven(&self, proof: &Proof, lenient_up: bool) -> Result<()> {
        let up_ok = proof.up_difference.is_empty() || lenient_up;
        if proof.error.is_none() && up_ok && proof.down_difference.is_empty() {
            return Ok(());
        }
        let mut text = String::from(
            "the generated migration did not prove out on the scratch database; nothing was written",
        );
        if let Some(e) = &proof.error {
            text.push_str(&format!("\n  {e}"));
        }
        if !proof.up_difference.is_empty() {
            text.push_str("\n  after up.sql the schema still differs from the desired one (- desired but missing, + extra, ~ different):");
            for d in &proof.up_difference {
                text.push_str(&format!("\n    {d}"));
            }
        }
        if !proof.down_difference.is_empty() {
            text.push_str("\n  after down.sql the schema is not what it was (- missing now, + left over, ~ different):");
            for d in &proof.down_difference {
                text.push_str(&format!("\n    {d}"));
            }
        }
        text.push_str(
            "\n  fix: write this migration by hand (`create NAME`), and please report the case",
        );
        Err(Error::refused(text))
    }

    fn report(&self, plan: &Plan, proof: &Proof, source: &str, created: &[PathBuf]) {
        let p = &self.printer;
        for w in &plan.warnings {
            p.note(format!("{} {w}", p.paint("warning:", Style::Warn)));
        }
        if !plan.acknowledged.is_empty() {
            p.note(format!(
                "{} {} lint finding(s) acknowledged with `-- squawk-ignore` (the upgrade gate lets them through; review them before deploying):",
                p.paint("review:", Style::Warn),
                plan.acknowledged.len()
            ));
            for a in &plan.acknowledged {
                p.note(format!(
                    "    {} up.sql:{}: {}: {}",
                    a.migration, a.line, a.rule, a.statement
                ));
            }
        }
        for r in &plan.renames {
            p.note(format!(
                "possible rename: {}.{} dropped and {}.{} added with the same type; if so, use: {};",
                r.table, r.from, r.table, r.to, r.sql
            ));
        }
        for n in &plan.notes {
            p.note(format!("note: {n}"));
        }
        p.line(format!(
            "{} {} change(s) from {source}; checked on a scratch database (up gives the desired schema, down restores the old one)",
            p.paint("generated", Style::Good),
            plan.changes.len()
        ));
        for c in &plan.changes {
            p.line(format!("    {c}"));
        }
        for path in created {
            p.line(format!("created {}", path.display()));
        }
        p.json_of(&Generated {
            created,
            desired_from: source,
            plan,
            proof: Some(proof),
            nothing_to_generate: false,
        });
    }
}

/// Where the desired schema comes from: `--desired FILE.sql`, else the
/// models (`--schema`, diesel.toml's print_schema file, or src/schema.rs).
fn desired_schema(opts: &AutogenOptions, dir: &Path) -> Result<Desired> {
    if let Some(file) = &opts.desired {
        if !file.is_file() {
            return Err(Error::Usage(format!(
                "the desired schema {} is not a readable file; fix: give the path of a \
                 .sql file that creates the whole schema on an empty database",
                file.display()
            )));
        }
        return Ok(Desired::File(file.clone()));
    }
    let path = match &opts.schema {
        Some(p) => p.clone(),
        None => models::locate(project_root(dir))?,
    };
    let mut model = models::ModelSchema::read(&path)?;
    model.read_filter(&project_root(dir))?;
    Ok(Desired::Models(model, path))
}

/// The `source` field of the JSON document (docs/json.md): the folder whose
/// migrations were read, named as every other command names it.
fn record_source(explicit: Option<&Path>, dir: &Path) {
    let chosen = std::env::current_dir()
        .ok()
        .and_then(|cwd| {
            ragchat_migrate::config::project::Selection::choose(explicit, false, &cwd).ok()
        })
        .filter(|s| matches!(&s.source, Source::Directory(d) if d == dir));
    let source = match &chosen {
        Some(selection) => selection.json_source(),
        None => SourceDescription::folder(dir),
    };
    let source = serde_json::to_value(source).unwrap_or_default();
    crate::output::set_source(source);
}

/// A migration name: lowercase letters, digits and `_`.
fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "invalid migration name {name:?}: use only lowercase letters, digits and `_` \
         (e.g. add_user_timezone_column)"
    )))
}

/// The directory holding `migrations/` (where diesel.toml and src/ are).
fn project_root(migrations: &Path) -> PathBuf {
    migrations
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// `table index` identities of the indexes named in the file's
/// `CREATE INDEX CONCURRENTLY` statements.
fn concurrent_identities(desired: &Snapshot, names: &[String]) -> BTreeSet<String> {
    desired
        .facts()
        .iter()
        .filter(|f| f.kind == catalog::Kind::Index)
        .filter(|f| names.iter().any(|n| f.name.ends_with(&format!(" {n}"))))
        .map(|f| f.name.clone())
        .collect()
}

/// The planned migrations as scripts with fresh versions, one second apart
/// and after every existing version.
fn scripts(existing: &MigrationSet, plan: &Plan) -> Result<Vec<MigrationScript>> {
    let newest = existing
        .all()
        .last()
        .map(|m| m.version.clone())
        .unwrap_or_default();
    // After every existing version, so that the proof applies it on top.
    let mut when = chrono::NaiveDateTime::parse_from_str(&newest, "%Y%m%d%H%M%S")
        .map(|t| t.and_utc() + chrono::Duration::seconds(1))
        .ok()
        .filter(|t| *t > chrono::Utc::now())
        .unwrap_or_else(chrono::Utc::now);
    let mut out = Vec::new();
    for m in &plan.migrations {
        let (stamp, version) = loop {
            let stamp = when.format("%Y-%m-%d-%H%M%S").to_string();
            let version: String = stamp.chars().filter(|c| *c != '-').collect();
            when += chrono::Duration::seconds(1);
            if version > newest && existing.by_version(&version).is_none() {
                break (stamp, version);
            }
        };
        out.push(MigrationScript {
            version,
            dir_name: format!("{stamp}_{}", m.name),
            up_sha256: ragchat_migrate::migrations::checksum::sha256_hex(&m.up),
            down_sha256: Some(ragchat_migrate::migrations::checksum::sha256_hex(&m.down)),
            up_sql: m.up.clone(),
            down_sql: Some(m.down.clone()),
            run_in_transaction: m.run_in_transaction,
        });
    }
    Ok(out)
}

/// Writes the migration directories; returns their paths.
fn write(dir: &Path, scripts: &[MigrationScript]) -> Result<Vec<PathBuf>> {
    let mut created = Vec::new();
    for s in scripts {
        let path = dir.join(&s.dir_name);
        std::fs::create_dir(&path).map_err(|e| Error::io(path.display(), e))?;
        let put = |file: &str, text: &str| {
            std::fs::write(path.join(file), text)
                .map_err(|e| Error::io(path.join(file).display(), e))
        };
        put("up.sql", &s.up_sql)?;
        put("down.sql", s.down_sql.as_deref().unwrap_or_default())?;
        if !s.run_in_transaction {
            put("metadata.toml", "run_in_transaction = false\n")?;
        }
        created.push(path);
    }
    Ok(created)
}
