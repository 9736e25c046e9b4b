// @generated automatically by Diesel CLI.

pub mod sql_types {
    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "document_status"))]
    pub struct DocumentStatus;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "message_role"))]
    pub struct MessageRole;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "scratchpad_entry_type"))]
    pub struct ScratchpadEntryType;
}

diesel::table! {
    conversations (id) {
        id -> Uuid,
        user_id -> Uuid,
        #[max_length = 500]
        title -> Nullable<Varchar>,
        use_rag -> Bool,
        use_scratchpad -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::DocumentStatus;

    documents (id) {
        id -> Uuid,
        knowledge_pool_id -> Uuid,
        #[max_length = 500]
        filename -> Varchar,
        #[max_length = 1000]
        file_path -> Nullable<Varchar>,
        file_size -> Nullable<Int4>,
        #[max_length = 100]
        mime_type -> Nullable<Varchar>,
        #[max_length = 50]
        source_type -> Varchar,
        #[max_length = 2000]
        source_url -> Nullable<Varchar>,
        status -> DocumentStatus,
        error_message -> Nullable<Text>,
        num_chunks -> Int4,
        num_tokens -> Nullable<Int4>,
        metadata -> Nullable<Jsonb>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    knowledge_pools (id) {
        id -> Uuid,
        user_id -> Uuid,
        #[max_length = 200]
        name -> Varchar,
        description -> Nullable<Text>,
        #[max_length = 300]
        collection_name -> Varchar,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::MessageRole;

    messages (id) {
        id -> Uuid,
        conversation_id -> Uuid,
        role -> MessageRole,
        content -> Text,
        metadata -> Nullable<Jsonb>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::ScratchpadEntryType;

    scratchpad_entries (id) {
        id -> Uuid,
        user_id -> Uuid,
        entry_type -> ScratchpadEntryType,
        content -> Text,
        is_completed -> Bool,
        entry_date -> Nullable<Timestamp>,
        metadata -> Nullable<Jsonb>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    user_memories (id) {
        id -> Uuid,
        user_id -> Uuid,
        source_conversation_id -> Nullable<Uuid>,
        content -> Text,
        importance -> Float8,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        #[max_length = 255]
        email -> Varchar,
        #[max_length = 100]
        username -> Varchar,
        #[max_length = 255]
        hashed_password -> Varchar,
        is_active -> Bool,
        is_superuser -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(conversations -> users (user_id));
diesel::joinable!(documents -> knowledge_pools (knowledge_pool_id));
diesel::joinable!(knowledge_pools -> users (user_id));
diesel::joinable!(messages -> conversations (conversation_id));
diesel::joinable!(scratchpad_entries -> users (user_id));
diesel::joinable!(user_memories -> conversations (source_conversation_id));
diesel::joinable!(user_memories -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    conversations,
    documents,
    knowledge_pools,
    messages,
    scratchpad_entries,
    user_memories,
    users,
);
