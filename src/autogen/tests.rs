//! The generator's ordering and output rules, on hand-written snapshots
//! (no database).

use super::*;
use crate::proof::catalog::{Fact, Kind};

/// users(id), posts(id, user_id -> users, state post_state), and the enum.
fn blog() -> Snapshot {
    Snapshot::from_facts(vec![
        Fact::new(Kind::Enum, "post_state", &[("labels", "('draft', 'live')")]),
        Fact::new(Kind::Table, "users", &[("columns", "(id, name)")]),
        Fact::new(
            Kind::Column,
            "users.id",
            &[("type", "integer"), ("nullability", "not null")],
        ),
        Fact::new(
            Kind::Column,
            "users.name",
            &[("type", "text"), ("nullability", "null")],
        ),
        Fact::new(
            Kind::Constraint,
            "users users_pkey",
            &[("definition", "PRIMARY KEY (id)")],
        ),
        Fact::new(Kind::Table, "posts", &[("columns", "(id, user_id, state)")]),
        Fact::new(
            Kind::Column,
            "posts.id",
            &[("type", "integer"), ("nullability", "not null")],
        ),
        Fact::new(
            Kind::Column,
            "posts.user_id",
            &[("type", "integer"), ("nullability", "null")],
        ),
        Fact::new(
            Kind::Column,
            "posts.state",
            &[
                ("type", "post_state"),
                ("nullability", "not null"),
                ("default", "'draft'::post_state"),
            ],
        ),
        Fact::new(
            Kind::Constraint,
            "posts posts_pkey",
            &[("definition", "PRIMARY KEY (id)")],
        ),
        Fact::new(
            Kind::Constraint,
            "posts posts_user_id_fkey",
            &[("definition", "FOREIGN KEY (user_id) REFERENCES users(id)")],
        ),
    ])
}

fn sqls(script: &Script) -> Vec<String> {
    script
        .statements
        .iter()
        .map(|s| s.sql.lines().next().unwrap_or("").to_string())
        .collect()
}

fn position(list: &[String], prefix: &str) -> usize {
    list.iter()
        .position(|s| s.starts_with(prefix))
        .unwrap_or_else(|| panic!("no statement starting {prefix:?} in {list:#?}"))
}

#[test]
fn types_before_tables_and_referenced_tables_first() {
    let up = generate(&Snapshot::default(), &blog(), &Options::default());
    let s = sqls(&up);
    assert!(position(&s, "CREATE TYPE post_state") < position(&s, "CREATE TABLE users"));
    assert!(position(&s, "CREATE TABLE users") < position(&s, "CREATE TABLE posts"));
    // The foreign key is part of the table that is created after users.
    let posts = &up.statements[position(&s, "CREATE TABLE posts")].sql;
    assert!(
        posts.contains("CONSTRAINT posts_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id)"),
        "{posts}"
    );
    assert!(
        posts.contains("state post_state DEFAULT 'draft'::post_state NOT NULL"),
        "{posts}"
    );
}

#[test]
fn drops_go_in_reverse_dependency_order_with_warnings() {
    let down = generate(&blog(), &Snapshot::default(), &Options::default());
    let s = sqls(&down);
    assert!(position(&s, "DROP TABLE posts") < position(&s, "DROP TABLE users"));
    assert!(position(&s, "DROP TABLE users") < position(&s, "DROP TYPE post_state"));
    let warned: Vec<&str> = down
        .statements
        .iter()
        .filter_map(|s| s.warning.as_deref())
        .collect();
    assert_eq!(
        warned,
        [
            "drops table posts and all its rows",
            "drops table users and all its rows"
        ]
    );
}

#[test]
fn a_foreign_key_cycle_is_added_after_both_tables() {
    let mut facts = blog().facts().to_vec();
    facts.push(Fact::new(
        Kind::Column,
        "users.pinned",
        &[("type", "integer"), ("nullability", "null")],
    ));
    facts.retain(|f| f.name != "users");
    facts.push(Fact::new(
        Kind::Table,
        "users",
        &[("columns", "(id, name, pinned)")],
    ));
    facts.push(Fact::new(
        Kind::Constraint,
        "users users_pinned_fkey",
        &[("definition", "FOREIGN KEY (pinned) REFERENCES posts(id)")],
    ));
    let up = generate(
        &Snapshot::default(),
        &Snapshot::from_facts(facts),
        &Options::default(),
    );
    let s = sqls(&up);
    let (a, b) = (
        position(&s, "CREATE TABLE posts"),
        position(&s, "CREATE TABLE users"),
    );
    let late = s
        .iter()
        .position(|x| x.starts_with("ALTER TABLE") && x.contains("ADD CONSTRAINT"))
        .expect("one foreign key added later");
    assert!(late > a.max(b), "{s:#?}");
}

#[test]
fn a_new_foreign_key_comes_after_a_new_table_it_references_and_drops_come_first() {
    let old = blog();
    let mut facts: Vec<Fact> = old
        .facts()
        .iter()
        .filter(|f| f.name != "posts posts_user_id_fkey")
        .cloned()
        .collect();
    facts.push(Fact::new(Kind::Table, "teams", &[("columns", "(id)")]));
    facts.push(Fact::new(
        Kind::Column,
        "teams.id",
        &[("type", "integer"), ("nullability", "not null")],
    ));
    facts.push(Fact::new(
        Kind::Constraint,
        "teams teams_pkey",
        &[("definition", "PRIMARY KEY (id)")],
    ));
    facts.push(Fact::new(
        Kind::Constraint,
        "users users_team_fkey",
        &[("definition", "FOREIGN KEY (id) REFERENCES teams(id)")],
    ));
    let up = generate(&old, &Snapshot::from_facts(facts), &Options::default());
    let s = sqls(&up);
    assert!(
        position(&s, "ALTER TABLE posts DROP CONSTRAINT posts_user_id_fkey")
            < position(&s, "CREATE TABLE teams")
    );
    assert!(
        position(&s, "CREATE TABLE teams")
            < position(&s, "ALTER TABLE users ADD CONSTRAINT users_team_fkey")
    );
}

#[test]
fn a_drop_and_an_add_of_one_type_is_a_possible_rename() {
    let old = blog();
    let facts: Vec<Fact> = old
        .facts()
        .iter()
        .map(|f| match f.name.as_str() {
            "users" => Fact::new(Kind::Table, "users", &[("columns", "(id, \"Full Name\")")]),
            "users.name" => Fact::new(
                Kind::Column,
                "users.\"Full Name\"",
                &[("type", "text"), ("nullability", "null")],
            ),
            _ => f.clone(),
        })
        .collect();
    let up = generate(&old, &Snapshot::from_facts(facts), &Options::default());
    assert_eq!(up.renames.len(), 1);
    assert_eq!(
        up.renames[0].sql,
        "ALTER TABLE users RENAME COLUMN name TO \"Full Name\""
    );
    let drop = up
        .statements
        .iter()
        .find(|s| s.sql == "ALTER TABLE users DROP COLUMN name")
        .unwrap();
    assert_eq!(
        drop.warning.as_deref(),
        Some("drops column users.name and its data")
    );
    assert!(drop.notes[0].contains("possible rename"));
}

#[test]
fn an_added_label_is_generated_and_a_removed_one_is_refused_with_the_procedure() {
    let old = blog();
    let with_label = |labels: &str| {
        let facts = old
            .facts()
            .iter()
            .map(|f| {
                if f.kind == Kind::Enum {
                    Fact::new(Kind::Enum, "post_state", &[("labels", labels)])
                } else {
                    f.clone()
                }
            })
            .collect();
        Snapshot::from_facts(facts)
    };
    let up = generate(
        &old,
        &with_label("('draft', 'review', 'live')"),
        &Options::default(),
    );
    assert_eq!(
        sqls(&up),
        ["ALTER TYPE post_state ADD VALUE 'review' AFTER 'draft'"]
    );
    let refused = generate(&old, &with_label("('live')"), &Options::default());
    assert!(refused.statements.is_empty());
    assert_eq!(refused.unsupported[0].object, "enum post_state labels");
    assert!(refused.unsupported[0]
        .sql
        .iter()
        .any(|s| s.contains("RENAME TO post_state__old")));
    let undo = generate(
        &with_label("('draft', 'review', 'live')"),
        &old,
        &Options {
            recreate_enums: true,
            ..Options::default()
        },
    );
    let s = sqls(&undo);
    assert_eq!(s[0], "ALTER TYPE post_state RENAME TO post_state__old");
    assert!(s.contains(
        &"ALTER TABLE posts ALTER COLUMN state TYPE post_state USING state::text::post_state"
            .to_string()
    ));
    assert_eq!(s.last().unwrap(), "DROP TYPE post_state__old");
}

#[test]
fn unknown_kinds_are_listed_by_name() {
    let new = Snapshot::from_facts(vec![Fact::new(Kind::Domain, "email", &[("type", "text")])]);
    let up = generate(&Snapshot::default(), &new, &Options::default());
    assert!(up.statements.is_empty());
    assert_eq!(up.unsupported[0].object, "domain email");
}
