//! Rows with every optional field left to the server: the parents most
//! model and constraint tests need before the row they are about.

use diesel::prelude::*;
use ragchat_migrate::models::{
    Conversation, Document, KnowledgePool, NewConversation, NewDocument, NewKnowledgePool,
};
use ragchat_migrate::schema::{conversations, documents, knowledge_pools};
use uuid::Uuid;

/// Inserts an untitled conversation of `user_id` with the default flags.
pub fn new_conversation(conn: &mut PgConnection, user_id: Uuid) -> Conversation {
    diesel::insert_into(conversations::table)
        .values(NewConversation {
            user_id,
            title: None,
            use_rag: None,
            use_scratchpad: None,
        })
        .returning(Conversation::as_returning())
        .get_result(conn)
        .expect("insert conversation")
}

/// Inserts knowledge pool `p` of `user_id` backed by `collection_name`.
pub fn new_pool(conn: &mut PgConnection, user_id: Uuid, collection_name: &str) -> KnowledgePool {
    diesel::insert_into(knowledge_pools::table)
        .values(NewKnowledgePool {
            user_id,
            name: "p",
            description: None,
            collection_name,
        })
        .returning(KnowledgePool::as_returning())
        .get_result(conn)
        .expect("insert knowledge pool")
}

/// Inserts document `f` in pool `knowledge_pool_id`, every detail left to
/// the server's defaults.
pub fn new_document(conn: &mut PgConnection, knowledge_pool_id: Uuid) -> Document {
    diesel::insert_into(documents::table)
        .values(NewDocument {
            knowledge_pool_id,
            filename: "f",
            file_path: None,
            file_size: None,
            mime_type: None,
            source_type: None,
            source_url: None,
            metadata: None,
        })
        .returning(Document::as_returning())
        .get_result(conn)
        .expect("insert document")
}
