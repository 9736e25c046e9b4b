//! Issue 2: the first migration's exact schema, its clean revert, and the
//! compile-checked models against a real PostgreSQL server.

mod common;

use common::{reference_catalog, TestDb};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use ragchat_migrate::database::migrator::{self, Command, RunOptions, Silent};
use ragchat_migrate::migrations::target::Target;
use ragchat_migrate::models::*;
use ragchat_migrate::schema::*;
use ragchat_migrate::{MigrationSet, Source};
use serde_json::json;

fn migrated() -> (TestDb, PgConnection) {
    let db = TestDb::new();
    let mut conn = db.conn();
    let applied = ragchat_migrate::run_pending_migrations(&mut conn).expect("migrate");
    assert_eq!(
        applied.len(),
        MigrationSet::load(&Source::Embedded).unwrap().len()
    );
    (db, conn)
}

fn new_user(conn: &mut PgConnection, name: &str) -> User {
    diesel::insert_into(users::table)
        .values(NewUser {
            email: &format!("{name}@example.com"),
            username: name,
            hashed_password: "$argon2id$hash",
        })
        .returning(User::as_returning())
        .get_result(conn)
        .expect("insert user")
}

#[test]
fn migrated_catalog_is_exactly_the_95_reference_facts() {
    let (db, _) = migrated();
    let catalog = db.catalog();
    assert_eq!(catalog.len(), 95);
    assert_eq!(catalog, reference_catalog());
}

#[test]
fn start_up_call_is_idempotent_and_records_the_ledger() {
    let (db, mut conn) = migrated();
    assert!(ragchat_migrate::run_pending_migrations(&mut conn)
        .unwrap()
        .is_empty());
    assert_eq!(
        db.lines("SELECT version::text AS v FROM __diesel_schema_migrations ORDER BY 1"),
        vec!["20251021000000"]
    );
    let sha = ragchat_migrate::migrations::source::sha256_hex(include_str!(
        "../migrations/2025-10-21-000000_initial_schema/up.sql"
    ));
    assert_eq!(
        db.lines("SELECT up_sha256 AS v FROM __ragchat_migrations"),
        vec![sha]
    );
}

#[test]
fn revert_to_base_leaves_nothing_of_the_application() {
    let (db, mut conn) = migrated();
    let set = MigrationSet::load(&Source::Embedded).unwrap();
    migrator::run(
        &mut conn,
        &set,
        &Command::Downgrade(Target::Base),
        &RunOptions::default(),
        &mut Silent,
    )
    .unwrap();
    assert!(db.catalog().is_empty());
    let leftovers = db.lines(
        "SELECT kind || ' ' || name AS v FROM ( \
           SELECT 'relation' AS kind, c.relname::text AS name FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' \
           UNION ALL SELECT 'type', t.typname::text FROM pg_type t \
             JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public' \
           UNION ALL SELECT 'function', p.proname::text FROM pg_proc p \
             JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' \
           UNION ALL SELECT 'trigger', tgname::text FROM pg_trigger WHERE NOT tgisinternal \
         ) x WHERE name NOT LIKE '\\_\\_%' ORDER BY 1",
    );
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
    // The ledger says base.
    assert!(db
        .lines("SELECT version::text AS v FROM __diesel_schema_migrations")
        .is_empty());
}

#[test]
fn every_table_round_trips_insert_load_update_delete() {
    let (_db, mut conn) = migrated();
    let c = &mut conn;

    let user = new_user(c, "ada");
    let changed: User = diesel::update(&user)
        .set(UserChanges {
            username: Some("ada2"),
            is_superuser: Some(true),
            ..Default::default()
        })
        .returning(User::as_returning())
        .get_result(c)
        .unwrap();
    assert_eq!(
        (changed.username.as_str(), changed.is_superuser),
        ("ada2", true)
    );
    assert_eq!(
        users::table
            .find(user.id)
            .select(User::as_select())
            .first(c)
            .unwrap(),
        changed
    );

    let conv: Conversation = diesel::insert_into(conversations::table)
        .values(NewConversation {
            user_id: user.id,
            title: Some("hello"),
            use_rag: Some(true),
            use_scratchpad: None,
        })
        .returning(Conversation::as_returning())
        .get_result(c)
        .unwrap();
    assert!(conv.use_rag && !conv.use_scratchpad);
    let conv2: Conversation = diesel::update(&conv)
        .set(ConversationChanges {
            title: Some(None),
            ..Default::default()
        })
        .returning(Conversation::as_returning())
        .get_result(c)
        .unwrap();
    assert_eq!(conv2.title, None);

    let msg: Message = diesel::insert_into(messages::table)
        .values(NewMessage {
            conversation_id: conv.id,
            role: MessageRole::Assistant,
            content: "hi",
            metadata: Some(json!({"tokens": 3})),
        })
        .returning(Message::as_returning())
        .get_result(c)
        .unwrap();
    let msg2: Message = diesel::update(&msg)
        .set(MessageChanges {
            content: Some("hi!"),
            metadata: Some(None),
        })
        .returning(Message::as_returning())
        .get_result(c)
        .unwrap();
    assert_eq!((msg2.content.as_str(), &msg2.metadata), ("hi!", &None));
    assert_eq!(
        Message::belonging_to(&conv)
            .select(Message::as_select())
            .load(c)
            .unwrap(),
        vec![msg2.clone()]
    );

    let entry: ScratchpadEntry = diesel::insert_into(scratchpad_entries::table)
        .values(NewScratchpadEntry {
            user_id: user.id,
            entry_type: ScratchpadEntryType::Todo,
            content: "buy milk",
            entry_date: None,
            metadata: None,
        })
        .returning(ScratchpadEntry::as_returning())
        .get_result(c)
        .unwrap();
    let entry2: ScratchpadEntry = diesel::update(&entry)
        .set(ScratchpadEntryChanges {
            is_completed: Some(true),
            ..Default::default()
        })
        .returning(ScratchpadEntry::as_returning())
        .get_result(c)
        .unwrap();
    assert!(!entry.is_completed && entry2.is_completed);

    let pool: KnowledgePool = diesel::insert_into(knowledge_pools::table)
        .values(NewKnowledgePool {
            user_id: user.id,
            name: "papers",
            description: Some("pdfs"),
            collection_name: "kp_papers",
        })
        .returning(KnowledgePool::as_returning())
        .get_result(c)
        .unwrap();
    let pool2: KnowledgePool = diesel::update(&pool)
        .set(KnowledgePoolChanges {
            name: Some("papers v2"),
            description: Some(None),
        })
        .returning(KnowledgePool::as_returning())
        .get_result(c)
        .unwrap();
    assert_eq!(
        (pool2.name.as_str(), &pool2.description),
        ("papers v2", &None)
    );

    let doc: Document = diesel::insert_into(documents::table)
        .values(NewDocument {
            knowledge_pool_id: pool.id,
            filename: "a.pdf",
            file_path: Some("/data/a.pdf"),
            file_size: Some(1234),
            mime_type: Some("application/pdf"),
            source_type: None,
            source_url: None,
            metadata: None,
        })
        .returning(Document::as_returning())
        .get_result(c)
        .unwrap();
    let doc2: Document = diesel::update(&doc)
        .set(DocumentChanges {
            status: Some(DocumentStatus::Completed),
            num_chunks: Some(12),
            num_tokens: Some(Some(3400)),
            ..Default::default()
        })
        .returning(Document::as_returning())
        .get_result(c)
        .unwrap();
    assert_eq!(
        (doc2.status, doc2.num_chunks, doc2.num_tokens),
        (DocumentStatus::Completed, 12, Some(3400))
    );

    let memory: UserMemory = diesel::insert_into(user_memories::table)
        .values(NewUserMemory {
            user_id: user.id,
            source_conversation_id: Some(conv.id),
            content: "likes tea",
            importance: Some(0.9),
        })
        .returning(UserMemory::as_returning())
        .get_result(c)
        .unwrap();
    let memory2: UserMemory = diesel::update(&memory)
        .set(UserMemoryChanges {
            importance: Some(0.1),
            ..Default::default()
        })
        .returning(UserMemory::as_returning())
        .get_result(c)
        .unwrap();
    assert_eq!(memory2.importance, 0.1);

    // Delete each row explicitly, children first.
    assert_eq!(diesel::delete(&memory2).execute(c).unwrap(), 1);
    assert_eq!(diesel::delete(&doc2).execute(c).unwrap(), 1);
    assert_eq!(diesel::delete(&pool2).execute(c).unwrap(), 1);
    assert_eq!(diesel::delete(&entry2).execute(c).unwrap(), 1);
    assert_eq!(diesel::delete(&msg2).execute(c).unwrap(), 1);
    assert_eq!(diesel::delete(&conv2).execute(c).unwrap(), 1);
    assert_eq!(diesel::delete(&changed).execute(c).unwrap(), 1);
    assert_eq!(users::table.count().get_result::<i64>(c).unwrap(), 0);
}

#[test]
fn the_three_enums_round_trip_every_label() {
    let (_db, mut conn) = migrated();
    let c = &mut conn;
    let user = new_user(c, "enums");
    let conv: Conversation = diesel::insert_into(conversations::table)
        .values(NewConversation {
            user_id: user.id,
            title: None,
            use_rag: None,
            use_scratchpad: None,
        })
        .returning(Conversation::as_returning())
        .get_result(c)
        .unwrap();
    for role in MessageRole::ALL {
        let m: Message = diesel::insert_into(messages::table)
            .values(NewMessage {
                conversation_id: conv.id,
                role,
                content: "x",
                metadata: None,
            })
            .returning(Message::as_returning())
            .get_result(c)
            .unwrap();
        assert_eq!(m.role, role);
        assert_eq!(
            messages::table
                .filter(messages::role.eq(role))
                .count()
                .get_result::<i64>(c)
                .unwrap(),
            1
        );
    }
    for entry_type in ScratchpadEntryType::ALL {
        let e: ScratchpadEntry = diesel::insert_into(scratchpad_entries::table)
            .values(NewScratchpadEntry {
                user_id: user.id,
                entry_type,
                content: "x",
                entry_date: None,
                metadata: None,
            })
            .returning(ScratchpadEntry::as_returning())
            .get_result(c)
            .unwrap();
        assert_eq!(e.entry_type, entry_type);
    }
    let pool: KnowledgePool = diesel::insert_into(knowledge_pools::table)
        .values(NewKnowledgePool {
            user_id: user.id,
            name: "p",
            description: None,
            collection_name: "c_enums",
        })
        .returning(KnowledgePool::as_returning())
        .get_result(c)
        .unwrap();
    for status in DocumentStatus::ALL {
        let d: Document = diesel::insert_into(documents::table)
            .values(NewDocument {
                knowledge_pool_id: pool.id,
                filename: "f",
                file_path: None,
                file_size: None,
                mime_type: None,
                source_type: None,
                source_url: None,
                metadata: None,
            })
            .returning(Document::as_returning())
            .get_result(c)
            .unwrap();
        let d: Document = diesel::update(&d)
            .set(documents::status.eq(status))
            .returning(Document::as_returning())
            .get_result(c)
            .unwrap();
        assert_eq!(d.status, status);
    }
}

#[test]
fn rust_enums_list_the_database_labels_in_order() {
    let (db, _) = migrated();
    let labels = |t: &str| {
        db.lines(&format!(
            "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) AS v FROM pg_enum \
             WHERE enumtypid = '{t}'::regtype"
        ))
        .remove(0)
    };
    let rust = |names: Vec<String>| names.join(",");
    assert_eq!(
        labels("message_role"),
        rust(
            MessageRole::ALL
                .iter()
                .map(|r| serde_json::to_value(r)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string())
                .collect()
        )
    );
    assert_eq!(
        labels("scratchpad_entry_type"),
        rust(
            ScratchpadEntryType::ALL
                .iter()
                .map(|r| serde_json::to_value(r)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string())
                .collect()
        )
    );
    assert_eq!(
        labels("document_status"),
        rust(
            DocumentStatus::ALL
                .iter()
                .map(|r| serde_json::to_value(r)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string())
                .collect()
        )
    );
}

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
    let pool: KnowledgePool = diesel::insert_into(knowledge_pools::table)
        .values(NewKnowledgePool {
            user_id: user.id,
            name: "p",
            description: None,
            collection_name: "c_defaults",
        })
        .returning(KnowledgePool::as_returning())
        .get_result(c)
        .unwrap();
    let doc: Document = diesel::insert_into(documents::table)
        .values(NewDocument {
            knowledge_pool_id: pool.id,
            filename: "f",
            file_path: None,
            file_size: None,
            mime_type: None,
            source_type: None,
            source_url: None,
            metadata: None,
        })
        .returning(Document::as_returning())
        .get_result(c)
        .unwrap();
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
    let mut conv_of = |u: &User| -> Conversation {
        diesel::insert_into(conversations::table)
            .values(NewConversation {
                user_id: u.id,
                title: None,
                use_rag: None,
                use_scratchpad: None,
            })
            .returning(Conversation::as_returning())
            .get_result(c)
            .unwrap()
    };
    let keep_conv = conv_of(&keep);
    let gone_conv = conv_of(&gone);
    for (u, conv, coll) in [(&keep, &keep_conv, "c_keep"), (&gone, &gone_conv, "c_gone")] {
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
                user_id: u.id,
                entry_type: ScratchpadEntryType::Note,
                content: "n",
                entry_date: None,
                metadata: None,
            })
            .execute(c)
            .unwrap();
        let pool: KnowledgePool = diesel::insert_into(knowledge_pools::table)
            .values(NewKnowledgePool {
                user_id: u.id,
                name: "p",
                description: None,
                collection_name: coll,
            })
            .returning(KnowledgePool::as_returning())
            .get_result(c)
            .unwrap();
        diesel::insert_into(documents::table)
            .values(NewDocument {
                knowledge_pool_id: pool.id,
                filename: "f",
                file_path: None,
                file_size: None,
                mime_type: None,
                source_type: None,
                source_url: None,
                metadata: None,
            })
            .execute(c)
            .unwrap();
        diesel::insert_into(user_memories::table)
            .values(NewUserMemory {
                user_id: u.id,
                source_conversation_id: Some(conv.id),
                content: "m",
                importance: None,
            })
            .execute(c)
            .unwrap();
    }

    diesel::delete(&gone).execute(c).unwrap();
    let count = |c: &mut PgConnection, sql: &str| -> i64 {
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::sql_query(sql).get_result::<N>(c).unwrap().n
    };
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
