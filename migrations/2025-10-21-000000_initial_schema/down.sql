-- Reverts revision 001 completely: tables (their indexes, constraints and
-- triggers go with them), the enum types and the updated_at helpers.
DROP TABLE user_memories;
DROP TABLE documents;
DROP TABLE knowledge_pools;
DROP TABLE scratchpad_entries;
DROP TABLE messages;
DROP TABLE conversations;
DROP TABLE users;

DROP TYPE document_status;
DROP TYPE scratchpad_entry_type;
DROP TYPE message_role;

DROP FUNCTION diesel_set_updated_at();
DROP FUNCTION diesel_manage_updated_at(regclass);
