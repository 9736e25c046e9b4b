//! Compile-checked models for the seven tables, and the three PostgreSQL
//! enums as Rust enums. Every struct is checked against `schema.rs` for the
//! PostgreSQL backend, so a column whose type drifts fails to compile.
//!
//! For each table: a `Queryable + Selectable` row, an `Insertable` new row
//! (server defaults such as ids, timestamps, `status` and `importance` are
//! left to the database), and an `AsChangeset` for updates (`None` fields are
//! left unchanged; `updated_at` is refreshed by a database trigger).

use crate::schema::{
    conversations, documents, knowledge_pools, messages, scratchpad_entries, user_memories, users,
};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use uuid::Uuid;

/// Who wrote a message (`message_role`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, diesel_derive_enum::DbEnum,
)]
#[ExistingTypePath = "crate::schema::sql_types::MessageRole"]
#[serde(rename_all = "lowercase")]
pub enum MessageRole {
    /// The person chatting.
    User,
    /// The model.
    Assistant,
    /// Instructions to the model.
    System,
}

/// The kind of a scratchpad entry (`scratchpad_entry_type`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, diesel_derive_enum::DbEnum,
)]
#[ExistingTypePath = "crate::schema::sql_types::ScratchpadEntryType"]
#[serde(rename_all = "lowercase")]
pub enum ScratchpadEntryType {
    /// Something to do.
    Todo,
    /// A note.
    Note,
    /// A journal entry.
    Journal,
}

/// Where a document is in ingestion (`document_status`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, diesel_derive_enum::DbEnum,
)]
#[ExistingTypePath = "crate::schema::sql_types::DocumentStatus"]
#[serde(rename_all = "lowercase")]
pub enum DocumentStatus {
    /// Uploaded, not yet processed (the default).
    Pending,
    /// Being chunked and embedded.
    Processing,
    /// Ready for retrieval.
    Completed,
    /// Processing failed; see `error_message`.
    Failed,
}

impl MessageRole {
    /// Every label, in the database's order.
    pub const ALL: [MessageRole; 3] = [Self::User, Self::Assistant, Self::System];
}

impl ScratchpadEntryType {
    /// Every label, in the database's order.
    pub const ALL: [ScratchpadEntryType; 3] = [Self::Todo, Self::Note, Self::Journal];
}

impl DocumentStatus {
    /// Every label, in the database's order.
    pub const ALL: [DocumentStatus; 4] = [
        Self::Pending,
        Self::Processing,
        Self::Completed,
        Self::Failed,
    ];
}

/// A row of `users`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, Serialize)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct User {
    /// Primary key.
    pub id: Uuid,
    /// Unique e-mail address.
    pub email: String,
    /// Unique user name.
    pub username: String,
    /// Password hash (never the password).
    pub hashed_password: String,
    /// False for deactivated accounts.
    pub is_active: bool,
    /// Administrator flag.
    pub is_superuser: bool,
    /// When the row was created.
    pub created_at: NaiveDateTime,
    /// When the row was last changed.
    pub updated_at: NaiveDateTime,
}

/// A new `users` row.
#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct NewUser<'a> {
    /// Unique e-mail address.
    pub email: &'a str,
    /// Unique user name.
    pub username: &'a str,
    /// Password hash.
    pub hashed_password: &'a str,
}

/// Changes to a `users` row.
#[derive(Debug, Clone, Default, PartialEq, AsChangeset)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct UserChanges<'a> {
    /// New e-mail address.
    pub email: Option<&'a str>,
    /// New user name.
    pub username: Option<&'a str>,
    /// New password hash.
    pub hashed_password: Option<&'a str>,
    /// Activate or deactivate.
    pub is_active: Option<bool>,
    /// Grant or revoke administrator rights.
    pub is_superuser: Option<bool>,
}

/// A row of `conversations`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, Associations, Serialize)]
#[diesel(table_name = conversations, belongs_to(User), check_for_backend(diesel::pg::Pg))]
pub struct Conversation {
    /// Primary key.
    pub id: Uuid,
    /// The owner.
    pub user_id: Uuid,
    /// Optional title.
    pub title: Option<String>,
    /// Retrieval-augmented answers on.
    pub use_rag: bool,
    /// Scratchpad context on.
    pub use_scratchpad: bool,
    /// When the row was created.
    pub created_at: NaiveDateTime,
    /// When the row was last changed.
    pub updated_at: NaiveDateTime,
}

/// A new `conversations` row.
#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = conversations, check_for_backend(diesel::pg::Pg))]
pub struct NewConversation<'a> {
    /// The owner.
    pub user_id: Uuid,
    /// Optional title.
    pub title: Option<&'a str>,
    /// Retrieval-augmented answers on (database default: false).
    pub use_rag: Option<bool>,
    /// Scratchpad context on (database default: false).
    pub use_scratchpad: Option<bool>,
}

/// Changes to a `conversations` row.
#[derive(Debug, Clone, Default, PartialEq, AsChangeset)]
#[diesel(table_name = conversations, check_for_backend(diesel::pg::Pg))]
pub struct ConversationChanges<'a> {
    /// New title (`Some(None)` clears it).
    pub title: Option<Option<&'a str>>,
    /// Toggle retrieval.
    pub use_rag: Option<bool>,
    /// Toggle the scratchpad.
    pub use_scratchpad: Option<bool>,
}

/// A row of `messages` (messages are never updated).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, Associations, Serialize)]
#[diesel(table_name = messages, belongs_to(Conversation), check_for_backend(diesel::pg::Pg))]
pub struct Message {
    /// Primary key.
    pub id: Uuid,
    /// The conversation.
    pub conversation_id: Uuid,
    /// Who wrote it.
    pub role: MessageRole,
    /// The text.
    pub content: String,
    /// Free-form metadata (sources, token counts, ...).
    pub metadata: Option<Json>,
    /// When it was written.
    pub created_at: NaiveDateTime,
}

/// A new `messages` row.
#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = messages, check_for_backend(diesel::pg::Pg))]
pub struct NewMessage<'a> {
    /// The conversation.
    pub conversation_id: Uuid,
    /// Who wrote it.
    pub role: MessageRole,
    /// The text.
    pub content: &'a str,
    /// Free-form metadata.
    pub metadata: Option<Json>,
}

/// Changes to a `messages` row (e.g. an edited message or new metadata).
#[derive(Debug, Clone, Default, PartialEq, AsChangeset)]
#[diesel(table_name = messages, check_for_backend(diesel::pg::Pg))]
pub struct MessageChanges<'a> {
    /// New text.
    pub content: Option<&'a str>,
    /// New metadata (`Some(None)` clears it).
    pub metadata: Option<Option<Json>>,
}

/// A row of `scratchpad_entries`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, Associations, Serialize)]
#[diesel(table_name = scratchpad_entries, belongs_to(User), check_for_backend(diesel::pg::Pg))]
pub struct ScratchpadEntry {
    /// Primary key.
    pub id: Uuid,
    /// The owner.
    pub user_id: Uuid,
    /// Todo, note or journal.
    pub entry_type: ScratchpadEntryType,
    /// The text.
    pub content: String,
    /// Done (for todos).
    pub is_completed: bool,
    /// The day a journal entry is about.
    pub entry_date: Option<NaiveDateTime>,
    /// Free-form metadata.
    pub metadata: Option<Json>,
    /// When the row was created.
    pub created_at: NaiveDateTime,
    /// When the row was last changed.
    pub updated_at: NaiveDateTime,
}

/// A new `scratchpad_entries` row.
#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = scratchpad_entries, check_for_backend(diesel::pg::Pg))]
pub struct NewScratchpadEntry<'a> {
    /// The owner.
    pub user_id: Uuid,
    /// Todo, note or journal.
    pub entry_type: ScratchpadEntryType,
    /// The text.
    pub content: &'a str,
    /// The day a journal entry is about.
    pub entry_date: Option<NaiveDateTime>,
    /// Free-form metadata.
    pub metadata: Option<Json>,
}

/// Changes to a `scratchpad_entries` row.
#[derive(Debug, Clone, Default, PartialEq, AsChangeset)]
#[diesel(table_name = scratchpad_entries, check_for_backend(diesel::pg::Pg))]
pub struct ScratchpadEntryChanges<'a> {
    /// New text.
    pub content: Option<&'a str>,
    /// Mark done or not done.
    pub is_completed: Option<bool>,
    /// New date (`Some(None)` clears it).
    pub entry_date: Option<Option<NaiveDateTime>>,
    /// New metadata (`Some(None)` clears it).
    pub metadata: Option<Option<Json>>,
}

/// A row of `knowledge_pools`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, Associations, Serialize)]
#[diesel(table_name = knowledge_pools, belongs_to(User), check_for_backend(diesel::pg::Pg))]
pub struct KnowledgePool {
    /// Primary key.
    pub id: Uuid,
    /// The owner.
    pub user_id: Uuid,
    /// Display name.
    pub name: String,
    /// Optional description.
    pub description: Option<String>,
    /// The vector store collection (unique).
    pub collection_name: String,
    /// When the row was created.
    pub created_at: NaiveDateTime,
    /// When the row was last changed.
    pub updated_at: NaiveDateTime,
}

/// A new `knowledge_pools` row.
#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = knowledge_pools, check_for_backend(diesel::pg::Pg))]
pub struct NewKnowledgePool<'a> {
    /// The owner.
    pub user_id: Uuid,
    /// Display name.
    pub name: &'a str,
    /// Optional description.
    pub description: Option<&'a str>,
    /// The vector store collection (unique).
    pub collection_name: &'a str,
}

/// Changes to a `knowledge_pools` row.
#[derive(Debug, Clone, Default, PartialEq, AsChangeset)]
#[diesel(table_name = knowledge_pools, check_for_backend(diesel::pg::Pg))]
pub struct KnowledgePoolChanges<'a> {
    /// New display name.
    pub name: Option<&'a str>,
    /// New description (`Some(None)` clears it).
    pub description: Option<Option<&'a str>>,
}

/// A row of `documents`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, Associations, Serialize)]
#[diesel(table_name = documents, belongs_to(KnowledgePool), check_for_backend(diesel::pg::Pg))]
pub struct Document {
    /// Primary key.
    pub id: Uuid,
    /// The pool it belongs to.
    pub knowledge_pool_id: Uuid,
    /// Original file name.
    pub filename: String,
    /// Where the file is stored.
    pub file_path: Option<String>,
    /// Size in bytes.
    pub file_size: Option<i32>,
    /// MIME type.
    pub mime_type: Option<String>,
    /// `upload` (default), `url`, ...
    pub source_type: String,
    /// Where it was fetched from.
    pub source_url: Option<String>,
    /// Ingestion state.
    pub status: DocumentStatus,
    /// Why ingestion failed.
    pub error_message: Option<String>,
    /// Number of chunks stored.
    pub num_chunks: i32,
    /// Number of tokens, once counted.
    pub num_tokens: Option<i32>,
    /// Free-form metadata.
    pub metadata: Option<Json>,
    /// When the row was created.
    pub created_at: NaiveDateTime,
    /// When the row was last changed.
    pub updated_at: NaiveDateTime,
}

/// A new `documents` row.
#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = documents, check_for_backend(diesel::pg::Pg))]
pub struct NewDocument<'a> {
    /// The pool it belongs to.
    pub knowledge_pool_id: Uuid,
    /// Original file name.
    pub filename: &'a str,
    /// Where the file is stored.
    pub file_path: Option<&'a str>,
    /// Size in bytes.
    pub file_size: Option<i32>,
    /// MIME type.
    pub mime_type: Option<&'a str>,
    /// Source kind (database default: `upload`).
    pub source_type: Option<&'a str>,
    /// Where it was fetched from.
    pub source_url: Option<&'a str>,
    /// Free-form metadata.
    pub metadata: Option<Json>,
}

/// Changes to a `documents` row, typically as ingestion progresses.
#[derive(Debug, Clone, Default, PartialEq, AsChangeset)]
#[diesel(table_name = documents, check_for_backend(diesel::pg::Pg))]
pub struct DocumentChanges<'a> {
    /// New ingestion state.
    pub status: Option<DocumentStatus>,
    /// Failure reason (`Some(None)` clears it).
    pub error_message: Option<Option<&'a str>>,
    /// Chunks stored.
    pub num_chunks: Option<i32>,
    /// Tokens counted.
    pub num_tokens: Option<Option<i32>>,
    /// New metadata (`Some(None)` clears it).
    pub metadata: Option<Option<Json>>,
}

/// A row of `user_memories`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, Associations, Serialize)]
#[diesel(table_name = user_memories, belongs_to(User), check_for_backend(diesel::pg::Pg))]
pub struct UserMemory {
    /// Primary key.
    pub id: Uuid,
    /// The owner.
    pub user_id: Uuid,
    /// The conversation it was extracted from (NULL once that is deleted).
    pub source_conversation_id: Option<Uuid>,
    /// The remembered fact.
    pub content: String,
    /// Relevance weight (database default: 0.5).
    pub importance: f64,
    /// When the row was created.
    pub created_at: NaiveDateTime,
    /// When the row was last changed.
    pub updated_at: NaiveDateTime,
}

/// A new `user_memories` row.
#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = user_memories, check_for_backend(diesel::pg::Pg))]
pub struct NewUserMemory<'a> {
    /// The owner.
    pub user_id: Uuid,
    /// The conversation it was extracted from.
    pub source_conversation_id: Option<Uuid>,
    /// The remembered fact.
    pub content: &'a str,
    /// Relevance weight (database default: 0.5).
    pub importance: Option<f64>,
}

/// Changes to a `user_memories` row.
#[derive(Debug, Clone, Default, PartialEq, AsChangeset)]
#[diesel(table_name = user_memories, check_for_backend(diesel::pg::Pg))]
pub struct UserMemoryChanges<'a> {
    /// New text.
    pub content: Option<&'a str>,
    /// New weight.
    pub importance: Option<f64>,
}
