-- Transactional outbox of platform events (the webhook event catalog). Modules append a row in the same
-- transaction as the change it describes; the webhook dispatcher delivers rows to subscribed endpoints.
-- dedupe_key makes "the same business fact" one event however often it is appended (retries, replays).
CREATE TABLE IF NOT EXISTS outbox_events
(
    event_id   varchar(40)  NOT NULL PRIMARY KEY,
    tenant_id  varchar(40)  NOT NULL REFERENCES tenants (tenant_id),
    env        varchar(4)   NOT NULL CHECK (env IN ('live', 'test')),
    event_type varchar(100) NOT NULL,
    payload    jsonb        NOT NULL,
    dedupe_key varchar(200),
    created_at timestamptz  NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (tenant_id, env, dedupe_key)
);
CREATE INDEX IF NOT EXISTS ix_outbox_events_tenant ON outbox_events (tenant_id, env, created_at);
CREATE INDEX IF NOT EXISTS ix_outbox_events_created ON outbox_events (created_at, event_id);
