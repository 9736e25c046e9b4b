//! The compile-checked models against the migrated schema: every table
//! round-trips, and the Rust enums match the database's labels.

use crate::support::{migrated, new_conversation, new_document, new_pool, new_user};
use diesel::prelude::*;
use ragchat_migrate::models::*;
use ragchat_migrate::schema::*;
use serde_json::json;

#[test]
fn every_table_round_trips_insert_load_update_delete() {
    let (_db, mut conn) = migrated();
    let c = &mut conn;

    let user = new_user(c, "ada");
    let user = user_round_trip(c, &user);
    let conv = conversation_round_trip(c, &user);
    let msg = message_round_trip(c, &conv);
    let entry = scratchpad_entry_round_trip(c, &user);
    let pool = knowledge_pool_round_trip(c, &user);
    let doc = document_round_trip(c, &pool);
    let memory = user_memory_round_trip(c, &user, &conv);

    // Delete each row explicitly, children first.
    assert_eq!(diesel::delete(&memory).execute(c).unwrap(), 1);
    assert_eq!(diesel::delete(&doc).execute(c).unwrap(), 1);
    assert_eq!(diesel::delete(&pool).execute(c).unwrap(), 1);
    assert_eq!(diesel::delete(&entry).execute(c).unwrap(), 1);
    assert_eq!(diesel::delete(&msg).execute(c).unwrap(), 1);
    assert_eq!(diesel::delete(&conv).execute(c).unwrap(), 1);
    assert_eq!(diesel::delete(&user).execute(c).unwrap(), 1);
    assert_eq!(users::table.count().get_result::<i64>(c).unwrap(), 0);
}

/// Renames `user` and makes it a superuser; the reloaded row is the
/// updated one. Returns the updated row.
fn user_round_trip(c: &mut PgConnection, user: &User) -> User {
    let changed: User = diesel::update(user)
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
    changed
}

/// A conversation with RAG on, then its title cleared. Returns the
/// updated row.
fn conversation_round_trip(c: &mut PgConnection, user: &User) -> Conversation {
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
    conv2
}

/// A message with metadata, edited and its metadata cleared; it is the
/// only message belonging to `conv`. Returns the updated row.
fn message_round_trip(c: &mut PgConnection, conv: &Conversation) -> Message {
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
        Message::belonging_to(conv)
            .select(Message::as_select())
            .load(c)
            .unwrap(),
        vec![msg2.clone()]
    );
    msg2
}

/// A to-do entry, then completed. Returns the updated row.
fn scratchpad_entry_round_trip(c: &mut PgConnection, user: &User) -> ScratchpadEntry {
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
    entry2
}

/// A described pool, renamed and its description cleared. Returns the
/// updated row.
fn knowledge_pool_round_trip(c: &mut PgConnection, user: &User) -> KnowledgePool {
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
    pool2
}

/// An uploaded PDF, then marked completed with its chunk and token
/// counts. Returns the updated row.
fn document_round_trip(c: &mut PgConnection, pool: &KnowledgePool) -> Document {
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
    doc2
}

/// A memory drawn from `conv`, then made less important. Returns the
/// updated row.
fn user_memory_round_trip(c: &mut PgConnection, user: &User, conv: &Conversation) -> UserMemory {
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
    memory2
}

#[test]
fn the_three_enums_round_trip_every_label() {
    let (_db, mut conn) = migrated();
    let c = &mut conn;
    let user = new_user(c, "enums");
    let conv = new_conversation(c, user.id);
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
    let pool = new_pool(c, user.id, "c_enums");
    for status in DocumentStatus::ALL {
        let d = new_document(c, pool.id);
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
    assert_eq!(labels("message_role"), serde_labels(&MessageRole::ALL));
    assert_eq!(
        labels("scratchpad_entry_type"),
        serde_labels(&ScratchpadEntryType::ALL)
    );
    assert_eq!(
        labels("document_status"),
        serde_labels(&DocumentStatus::ALL)
    );
}

/// The serialised names of `all`, comma-separated in their order.
fn serde_labels<T: serde::Serialize>(all: &[T]) -> String {
    all.iter()
        .map(|r| {
            serde_json::to_value(r)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join(",")
}
