-- A database as the original Python system (Alembic revision 001) left it:
-- the same tables, types and indexes as our first migration, no updated_at
-- functions or triggers (its ORM refreshed the column), and Alembic's ledger.
-- Built for the adopt tests; derived from the first migration's up.sql.
-- Each enum type is created exactly once (the Python original created them
-- twice and failed on a fresh database).
CREATE TYPE message_role AS ENUM ('user', 'assistant', 'system');
CREATE TYPE scratchpad_entry_type AS ENUM ('todo', 'note', 'journal');
CREATE TYPE document_status AS ENUM ('pending', 'processing', 'completed', 'failed');

CREATE TABLE users (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    email varchar(255) NOT NULL,
    username varchar(100) NOT NULL,
    hashed_password varchar(255) NOT NULL,
    is_active boolean NOT NULL DEFAULT true,
    is_superuser boolean NOT NULL DEFAULT false,
    created_at timestamp without time zone NOT NULL DEFAULT now(),
    updated_at timestamp without time zone NOT NULL DEFAULT now(),
    CONSTRAINT users_pkey PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_users_email ON users (email);
CREATE UNIQUE INDEX ix_users_username ON users (username);

CREATE TABLE conversations (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL,
    title varchar(500),
    use_rag boolean NOT NULL DEFAULT false,
    use_scratchpad boolean NOT NULL DEFAULT false,
    created_at timestamp without time zone NOT NULL DEFAULT now(),
    updated_at timestamp without time zone NOT NULL DEFAULT now(),
    CONSTRAINT conversations_pkey PRIMARY KEY (id),
    CONSTRAINT conversations_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_conversations_user_id ON conversations (user_id);

CREATE TABLE messages (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    conversation_id uuid NOT NULL,
    role message_role NOT NULL,
    content text NOT NULL,
    metadata jsonb,
    created_at timestamp without time zone NOT NULL DEFAULT now(),
    CONSTRAINT messages_pkey PRIMARY KEY (id),
    CONSTRAINT messages_conversation_id_fkey FOREIGN KEY (conversation_id)
        REFERENCES conversations (id) ON DELETE CASCADE
);
CREATE INDEX ix_messages_conversation_id ON messages (conversation_id);
CREATE INDEX idx_messages_conversation_created ON messages (conversation_id, created_at);

CREATE TABLE scratchpad_entries (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL,
    entry_type scratchpad_entry_type NOT NULL,
    content text NOT NULL,
    is_completed boolean NOT NULL DEFAULT false,
    entry_date timestamp without time zone,
    metadata jsonb,
    created_at timestamp without time zone NOT NULL DEFAULT now(),
    updated_at timestamp without time zone NOT NULL DEFAULT now(),
    CONSTRAINT scratchpad_entries_pkey PRIMARY KEY (id),
    CONSTRAINT scratchpad_entries_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_scratchpad_entries_user_id ON scratchpad_entries (user_id);
CREATE INDEX idx_scratchpad_user_type ON scratchpad_entries (user_id, entry_type, created_at);

CREATE TABLE knowledge_pools (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL,
    name varchar(200) NOT NULL,
    description text,
    collection_name varchar(300) NOT NULL,
    created_at timestamp without time zone NOT NULL DEFAULT now(),
    updated_at timestamp without time zone NOT NULL DEFAULT now(),
    CONSTRAINT knowledge_pools_pkey PRIMARY KEY (id),
    CONSTRAINT knowledge_pools_collection_name_key UNIQUE (collection_name),
    CONSTRAINT knowledge_pools_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_knowledge_pools_user_id ON knowledge_pools (user_id);

CREATE TABLE documents (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    knowledge_pool_id uuid NOT NULL,
    filename varchar(500) NOT NULL,
    file_path varchar(1000),
    file_size integer,
    mime_type varchar(100),
    source_type varchar(50) NOT NULL DEFAULT 'upload',
    source_url varchar(2000),
    status document_status NOT NULL DEFAULT 'pending',
    error_message text,
    num_chunks integer NOT NULL DEFAULT 0,
    num_tokens integer,
    metadata jsonb,
    created_at timestamp without time zone NOT NULL DEFAULT now(),
    updated_at timestamp without time zone NOT NULL DEFAULT now(),
    CONSTRAINT documents_pkey PRIMARY KEY (id),
    CONSTRAINT documents_knowledge_pool_id_fkey FOREIGN KEY (knowledge_pool_id)
        REFERENCES knowledge_pools (id) ON DELETE CASCADE
);
CREATE INDEX ix_documents_knowledge_pool_id ON documents (knowledge_pool_id);

CREATE TABLE user_memories (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL,
    source_conversation_id uuid,
    content text NOT NULL,
    importance double precision NOT NULL DEFAULT '0.5',
    created_at timestamp without time zone NOT NULL DEFAULT now(),
    updated_at timestamp without time zone NOT NULL DEFAULT now(),
    CONSTRAINT user_memories_pkey PRIMARY KEY (id),
    CONSTRAINT user_memories_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT user_memories_source_conversation_id_fkey FOREIGN KEY (source_conversation_id)
        REFERENCES conversations (id) ON DELETE SET NULL
);
CREATE INDEX ix_user_memories_user_id ON user_memories (user_id);
CREATE INDEX idx_user_memories_importance ON user_memories (user_id, importance DESC);

CREATE TABLE alembic_version (
    version_num varchar(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO alembic_version (version_num) VALUES ('001');
