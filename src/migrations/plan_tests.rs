//! The planner's rules, without a database.

use super::*;
use crate::database::ledger::{AppliedMigration, Ledger};

fn set(n: usize) -> MigrationSet {
    MigrationSet::from_scripts(
        (0..n)
            .map(|i| MigrationScript {
                version: format!("2025010100000{i}"),
                dir_name: format!("2025-01-01-00000{i}_m{i}"),
                up_sql: format!("CREATE TABLE t{i} ()"),
                down_sql: Some(format!("DROP TABLE t{i}")),
                run_in_transaction: true,
                up_sha256: format!("up{i}"),
                down_sha256: Some(format!("down{i}")),
            })
            .collect(),
    )
    .unwrap()
}

fn ledger(set: &MigrationSet, applied: &[usize], extra: &[&str]) -> Ledger {
    let mut ledger = Ledger::assuming_applied(applied.iter().map(|&i| &set.all()[i]));
    ledger
        .applied
        .extend(extra.iter().map(|v| AppliedMigration {
            version: v.to_string(),
            run_on: chrono::NaiveDateTime::default(),
            record: None,
        }));
    ledger.applied.sort_by(|a, b| a.version.cmp(&b.version));
    ledger
}

fn names(plan: &Plan) -> Vec<(Direction, String)> {
    plan.steps
        .iter()
        .map(|s| (s.direction, s.migration.label().to_string()))
        .collect()
}

#[test]
fn upgrade_head_applies_pending_oldest_first() {
    let s = set(3);
    let st = Status::new(&s, &ledger(&s, &[0], &[]));
    let plan = upgrade(&s, &st, &Target::Head, Options::default()).unwrap();
    assert_eq!(
        names(&plan),
        vec![(Direction::Up, "m1".into()), (Direction::Up, "m2".into())]
    );
}

#[test]
fn relative_targets_are_bounded() {
    let s = set(3);
    let st = Status::new(&s, &ledger(&s, &[0], &[]));
    assert_eq!(
        upgrade(&s, &st, &Target::Relative(1), Options::default())
            .unwrap()
            .steps
            .len(),
        1
    );
    let err = upgrade(&s, &st, &Target::Relative(3), Options::default()).unwrap_err();
    assert!(err.to_string().contains("the most is +2"), "{err}");
    assert_eq!(err.kind(), crate::error::ErrorKind::BadInput);
    let err = downgrade(&s, &st, &Target::Relative(-2)).unwrap_err();
    assert!(err.to_string().contains("the most is -1"), "{err}");
    assert_eq!(
        names(&downgrade(&s, &st, &Target::Relative(-1)).unwrap()).len(),
        1
    );
}

#[test]
fn upgrade_to_a_revision_stops_there_and_refuses_to_go_back() {
    let s = set(3);
    let st = Status::new(&s, &ledger(&s, &[], &[]));
    let plan = upgrade(
        &s,
        &st,
        &Target::Revision("20250101000001".into()),
        Options::default(),
    )
    .unwrap();
    assert_eq!(plan.steps.len(), 2);
    let st = Status::new(&s, &ledger(&s, &[0, 1, 2], &[]));
    let err = upgrade(
        &s,
        &st,
        &Target::Revision("20250101000000".into()),
        Options::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("downgrade"), "{err}");
    assert!(upgrade(&s, &st, &Target::Head, Options::default())
        .unwrap()
        .is_empty());
}

#[test]
fn downgrade_reverts_newest_first_down_to_the_target() {
    let s = set(3);
    let st = Status::new(&s, &ledger(&s, &[0, 1, 2], &[]));
    let plan = downgrade(&s, &st, &Target::Revision("20250101000000".into())).unwrap();
    assert_eq!(
        names(&plan),
        vec![
            (Direction::Down, "m2".into()),
            (Direction::Down, "m1".into())
        ]
    );
    assert_eq!(downgrade(&s, &st, &Target::Base).unwrap().steps.len(), 3);
    let st = Status::new(&s, &ledger(&s, &[0], &[]));
    let err = downgrade(&s, &st, &Target::Revision("20250101000002".into())).unwrap_err();
    assert!(err.to_string().contains("not applied"), "{err}");
}

#[test]
fn redo_reverts_then_reapplies() {
    let s = set(3);
    let st = Status::new(&s, &ledger(&s, &[0, 1, 2], &[]));
    let plan = redo(&s, &st, 2).unwrap();
    assert_eq!(
        names(&plan),
        vec![
            (Direction::Down, "m2".into()),
            (Direction::Down, "m1".into()),
            (Direction::Up, "m1".into()),
            (Direction::Up, "m2".into())
        ]
    );
}

#[test]
fn out_of_order_pending_is_refused_unless_allowed() {
    let s = set(3);
    let st = Status::new(&s, &ledger(&s, &[0, 2], &[]));
    assert!(st.migrations[1].out_of_order);
    let err = upgrade(&s, &st, &Target::Head, Options::default()).unwrap_err();
    assert!(err.to_string().contains("m1"), "{err}");
    assert_eq!(err.kind(), crate::error::ErrorKind::Failure);
    let plan = upgrade(
        &s,
        &st,
        &Target::Head,
        Options {
            allow_out_of_order: true,
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!(names(&plan), vec![(Direction::Up, "m1".into())]);
}

#[test]
fn unknown_applied_versions_are_refused() {
    let s = set(2);
    let st = Status::new(&s, &ledger(&s, &[0], &["29990101000000"]));
    assert_eq!(st.unknown.len(), 1);
    let err = upgrade(&s, &st, &Target::Head, Options::default()).unwrap_err();
    assert!(err.to_string().contains("29990101000000"), "{err}");
    assert!(downgrade(&s, &st, &Target::Relative(-1)).is_err());
}

#[test]
fn changed_files_are_refused_with_both_checksums() {
    let s = set(2);
    let mut l = ledger(&s, &[0], &[]);
    l.applied[0]
        .record
        .as_mut()
        .unwrap()
        .checksums
        .as_mut()
        .unwrap()
        .up_sha256 = "old".into();
    let st = Status::new(&s, &l);
    let err = upgrade(&s, &st, &Target::Head, Options::default()).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("up.sql") && text.contains("old") && text.contains("up0"),
        "{text}"
    );
    assert!(text.contains("accept"), "{text}");
}

#[test]
fn stamp_records_and_forgets_to_reach_the_target() {
    let s = set(3);
    let st = Status::new(&s, &ledger(&s, &[0, 1], &[]));
    let p = stamp(&s, &st, &Target::Head, false).unwrap();
    assert_eq!(p.record.len(), 1);
    let p = stamp(&s, &st, &Target::Base, false).unwrap();
    assert_eq!(p.forget.len(), 2);
    let st = Status::new(&s, &ledger(&s, &[0], &["29990101000000"]));
    assert!(stamp(&s, &st, &Target::Head, false).is_err());
    let p = stamp(&s, &st, &Target::Head, true).unwrap();
    assert_eq!(p.forget, vec!["29990101000000".to_string()]);
    assert!(stamp(&s, &st, &Target::Relative(5), false).is_err());
    // With a gap (m0, m2 applied, m1 pending), +1 records m1 and -1 forgets m2.
    let st = Status::new(&s, &ledger(&s, &[0, 2], &[]));
    let p = stamp(&s, &st, &Target::Relative(1), false).unwrap();
    assert_eq!(
        p.record.iter().map(|m| m.label()).collect::<Vec<_>>(),
        ["m1"]
    );
    let p = stamp(&s, &st, &Target::Relative(-1), false).unwrap();
    assert_eq!(p.forget, vec!["20250101000002".to_string()]);
    assert!(p.record.is_empty());
}

#[test]
fn refusals_carry_their_data() {
    let s = set(3);
    let st = Status::new(&s, &ledger(&s, &[0, 2], &[]));
    let err = upgrade(&s, &st, &Target::Head, Options::default()).unwrap_err();
    let Error::Refused(Refusal::OutOfOrder {
        newest_applied,
        late,
    }) = err
    else {
        panic!("{err}")
    };
    assert_eq!(
        (newest_applied.as_str(), late),
        (
            "2025-01-01-000002_m2",
            vec!["2025-01-01-000001_m1".to_string()]
        )
    );

    let st = Status::new(&s, &ledger(&s, &[0], &["29990101000000", "29990101000001"]));
    let err = downgrade(&s, &st, &Target::Base).unwrap_err();
    assert!(
        matches!(&err, Error::Refused(Refusal::UnknownApplied { command: "downgrade", versions, .. })
            if versions == &["29990101000000", "29990101000001"]),
        "{err:?}"
    );
    let err = stamp(&s, &st, &Target::Head, false).unwrap_err();
    assert!(
        matches!(&err, Error::Refused(Refusal::StampOverUnknown { versions, .. }) if versions.len() == 2),
        "{err:?}"
    );

    let mut l = ledger(&s, &[0, 1], &[]);
    let sums = l.applied[1]
        .record
        .as_mut()
        .unwrap()
        .checksums
        .as_mut()
        .unwrap();
    sums.down_sha256 = Some("old".into());
    let st = Status::new(&s, &l);
    let err = upgrade(&s, &st, &Target::Head, Options::default()).unwrap_err();
    let Error::Refused(Refusal::ChangedChecksums { command, changes }) = err else {
        panic!("{err}")
    };
    assert_eq!(command, "upgrade");
    assert_eq!(
        changes,
        [crate::refusal::ChangedFile {
            dir_name: "2025-01-01-000001_m1".into(),
            file: "down.sql",
            recorded: Some("old".into()),
            current: Some("down1".into()),
        }]
    );
}

#[test]
fn one_transaction_refuses_migrations_that_must_run_outside_one() {
    let mut scripts: Vec<MigrationScript> = set(3).all().to_vec();
    scripts[1].run_in_transaction = false;
    let s = MigrationSet::from_scripts(scripts).unwrap();
    let st = Status::new(&s, &ledger(&s, &[], &[]));
    let single = Options {
        single_transaction: true,
        ..Options::default()
    };
    let err = for_command(&s, &st, &Command::Upgrade(Target::Head), single).unwrap_err();
    assert_eq!(err.kind(), crate::error::ErrorKind::BadInput);
    assert_eq!(
        err.to_string(),
        "--single-transaction cannot include migrations that must run outside a transaction \
         (run_in_transaction = false): 2025-01-01-000001_m1\n  fix: drop \
         --single-transaction, or stop before them with a target"
    );
    // Stopping before it, or running step by step, is planned.
    let before = Command::Upgrade(Target::Revision("20250101000000".into()));
    assert_eq!(
        for_command(&s, &st, &before, single).unwrap().steps.len(),
        1
    );
    let all = for_command(&s, &st, &Command::Upgrade(Target::Head), Options::default());
    assert_eq!(all.unwrap().steps.len(), 3);
}

#[test]
fn the_planner_refuses_transaction_control_in_a_transactional_step() {
    let mut scripts: Vec<MigrationScript> = set(2).all().to_vec();
    scripts[1].up_sql = "CREATE TABLE x ();\nCOMMIT;".into();
    let s = MigrationSet::from_scripts(scripts).unwrap();
    let st = Status::new(&s, &ledger(&s, &[], &[]));
    let err =
        for_command(&s, &st, &Command::Upgrade(Target::Head), Options::default()).unwrap_err();
    assert!(
        err.to_string().contains("up.sql: line 2: `COMMIT`"),
        "{err}"
    );
    assert_eq!(err.kind(), crate::error::ErrorKind::BadInput);
}

#[test]
fn check_and_the_planner_judge_the_same_anomalies() {
    let s = set(3);
    let clean = Status::new(&s, &ledger(&s, &[0, 1, 2], &[]));
    assert!(clean.is_clean(&s) && clean.anomalies(&s).is_empty());
    let pending = Status::new(&s, &ledger(&s, &[0], &[]));
    assert!(!pending.is_clean(&s) && pending.anomalies(&s).is_empty());
    let gap = Status::new(&s, &ledger(&s, &[0, 2], &[]));
    assert_eq!(gap.anomalies(&s).out_of_order, ["2025-01-01-000001_m1"]);
    let ahead = Status::new(&s, &ledger(&s, &[0, 1, 2], &["29990101000000"]));
    assert!(!ahead.is_clean(&s));
    let refusal = ahead.anomalies(&s).refusal("upgrade", s.origin()).unwrap();
    assert!(matches!(refusal, Refusal::UnknownApplied { .. }));
    assert!(upgrade(&s, &ahead, &Target::Head, Options::default()).is_err());
}
