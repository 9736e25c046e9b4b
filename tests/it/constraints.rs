//! The schema's rules at work on a real server: server defaults,
//! `updated_at` triggers, cascading and nulling deletes, unique violations.

use crate::support::{migrated, new_conversation, new_document, new_pool, new_user};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use ragchat_migrate::models::*;
use ragchat_migrate::schema::*;

#[test]
fn server_defaults_apply() {
    let (_db, mut conn) = migrated();
    let c = &mut conn;
    let before = diesel::select(diesel::dsl::now)
        .get_result::<chrono::NaiveDateTime>(c)
        .unwrap();
    let user = new_user(c, "defaults");
    assert!(user.is_active && !user.is_superuser);
    assert!(user.created_at >= before - chrono::Duration::seconds(5));
    assert_eq!(user.created_at, user.updated_at);
    let pool = new_pool(c, user.id, "c_defaults");
    let doc = new_document(c, pool.id);
    assert_eq!(doc.status, DocumentStatus::Pending);
    assert_eq!(doc.num_chunks, 0);
    assert_eq!(doc.source_type, "upload");
    let memory: UserMemory = diesel::insert_into(user_memories::table)
        .values(NewUserMemory {
            user_id: user.id,
            source_conversation_id: None,
            content: "m",
            importance: None,
        })
        .returning(UserMemory::as_returning())
        .get_result(c)
        .unwrap();
    assert_eq!(memory.importance, 0.5);
    assert_ne!(memory.id, uuid::Uuid::nil());
}

#[test]
fn updated_at_moves_on_update_on_every_table_that_has_it() {
    let (db, mut conn) = migrated();
    let c = &mut conn;
    let user = new_user(c, "clock");
    // Age the row so the trigger's now() is clearly later.
    c.batch_execute(&format!(
        "UPDATE users SET updated_at = '2000-01-01' WHERE id = '{}'",
        user.id
    ))
    .unwrap();
    let aged: User = users::table
        .find(user.id)
        .select(User::as_select())
        .first(c)
        .unwrap();
    assert_eq!(aged.updated_at.to_string(), "2000-01-01 00:00:00");
    let touched: User = diesel::update(&aged)
        .set(users::is_active.eq(false))
        .returning(User::as_returning())
        .get_result(c)
        .unwrap();
    assert!(touched.updated_at > aged.updated_at + chrono::Duration::days(365));
    assert_eq!(touched.created_at, user.created_at);
    // Every table with updated_at has the trigger.
    let triggered = db.lines(
        "SELECT c.relname::text AS v FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
         WHERE NOT t.tgisinternal AND t.tgname = 'set_updated_at' ORDER BY 1",
    );
    assert_eq!(
        triggered,
        [
            "conversations",
            "documents",
            "knowledge_pools",
            "scratchpad_entries",
            "user_memories",
            "users"
        ]
    );
}

#[test]
fn deleting_a_user_cascades_and_deleting_a_conversation_nulls_memories() {
    let (_db, mut conn) = migrated();
    let c = &mut conn;
    let keep = new_user(c, "keep");
    let gone = new_user(c, "gone");
    let keep_conv = new_conversation(c, keep.id);
    let gone_conv = new_conversation(c, gone.id);
    for (u, conv, coll) in [(&keep, &keep_conv, "c_keep"), (&gone, &gone_conv, "c_gone")] {
        give_one_child_of_each_kind(c, u, conv, coll);
    }

    diesel::delete(&gone).execute(c).unwrap();
    for table in [
        "conversations",
        "messages",
        "scratchpad_entries",
        "knowledge_pools",
        "documents",
        "user_memories",
    ] {
        assert_eq!(
            count(c, &format!("SELECT count(*) AS n FROM {table}")),
            1,
            "{table}"
        );
    }

    // Deleting a conversation keeps the memory but forgets its source.
    diesel::delete(&keep_conv).execute(c).unwrap();
    let memory: UserMemory = user_memories::table
        .select(UserMemory::as_select())
        .first(c)
        .unwrap();
    assert_eq!(
        (memory.user_id, memory.source_conversation_id),
        (keep.id, None)
    );
    assert_eq!(count(c, "SELECT count(*) AS n FROM messages"), 0);
}

/// One row in every table below `user`: a message in `conv`, a
/// scratchpad note, a pool on collection `coll` with one document, and a
/// memory drawn from `conv`.
fn give_one_child_of_each_kind(c: &mut PgConnection, user: &User, conv: &Conversation, coll: &str) {
    diesel::insert_into(messages::table)
        .values(NewMessage {
            conversation_id: conv.id,
            role: MessageRole::User,
            content: "q",
            metadata: None,
        })
        .execute(c)
        .unwrap();
    diesel::insert_into(scratchpad_entries::table)
        .values(NewScratchpadEntry {
            user_id: user.id,
            entry_type: ScratchpadEntryType::Note,
            content: "n",
            entry_date: None,
            metadata: None,
        })
        .execute(c)
        .unwrap();
    let pool = new_pool(c, user.id, coll);
    new_document(c, pool.id);
    diesel::insert_into(user_memories::table)
        .values(NewUserMemory {
            user_id: user.id,
            source_conversation_id: Some(conv.id),
            content: "m",
            importance: None,
        })
        .execute(c)
        .unwrap();
}

/// The `n` column of the one row `sql` returns.
fn count(c: &mut PgConnection, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(sql).get_result::<N>(c).unwrap().n
}

#[test]
fn duplicates_come_back_as_unique_violations() {
    let (_db, mut conn) = migrated();
    let c = &mut conn;
    let user = new_user(c, "dup");
    let again = diesel::insert_into(users::table)
        .values(NewUser {
            email: "dup@example.com",
            username: "other",
            hashed_password: "h",
        })
        .execute(c);
    assert!(
        matches!(again, Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, ref info)) if info.constraint_name() == Some("ix_users_email")),
        "{again:?}"
    );
    let pool = |name: &'static str| NewKnowledgePool {
        user_id: user.id,
        name: "p",
        description: None,
        collection_name: name,
    };
    diesel::insert_into(knowledge_pools::table)
        .values(pool("same"))
        .execute(c)
        .unwrap();
    let again = diesel::insert_into(knowledge_pools::table)
        .values(pool("same"))
        .execute(c);
    assert!(
        matches!(again, Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, ref info)) if info.constraint_name() == Some("knowledge_pools_collection_name_key")),
        "{again:?}"
    );
}
