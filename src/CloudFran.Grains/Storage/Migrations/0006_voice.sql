-- Voice receptionist: per-location settings, the call log (one row per call, updated every turn, so a call
-- survives a node crash and the active-call list works across nodes), messages taken, dashboard tokens.
CREATE TABLE IF NOT EXISTS voice_settings
(
    tenant_id   varchar(40) NOT NULL REFERENCES tenants (tenant_id),
    env         varchar(4)  NOT NULL CHECK (env IN ('live', 'test')),
    location_id varchar(40) NOT NULL,
    settings    jsonb       NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, env, location_id)
);

CREATE TABLE IF NOT EXISTS voice_calls
(
    tenant_id        varchar(40)  NOT NULL REFERENCES tenants (tenant_id),
    env              varchar(4)   NOT NULL CHECK (env IN ('live', 'test')),
    call_sid         varchar(64)  NOT NULL,
    location_id      varchar(40),
    caller_phone     varchar(32)  NOT NULL,
    called_number    varchar(32)  NOT NULL,
    started_at       timestamptz  NOT NULL,
    ended_at         timestamptz,
    status           varchar(20)  NOT NULL DEFAULT 'in-progress',
    outcome          varchar(20),
    intent           varchar(30)  NOT NULL DEFAULT 'Unknown',
    language         varchar(5)   NOT NULL DEFAULT 'en',
    turn_count       integer      NOT NULL DEFAULT 0,
    duration_seconds integer,
    last_message     text,
    recording_sid    varchar(64),
    recording_url    text,
    appointment_id   varchar(40),
    order_lines      jsonb        NOT NULL DEFAULT '[]',
    turns            jsonb        NOT NULL DEFAULT '[]',
    state            jsonb        NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant_id, env, call_sid)
);
CREATE INDEX IF NOT EXISTS ix_voice_calls_started ON voice_calls (tenant_id, env, started_at DESC);
CREATE INDEX IF NOT EXISTS ix_voice_calls_active ON voice_calls (tenant_id, env) WHERE ended_at IS NULL;

CREATE TABLE IF NOT EXISTS voice_messages
(
    tenant_id    varchar(40)  NOT NULL REFERENCES tenants (tenant_id),
    env          varchar(4)   NOT NULL CHECK (env IN ('live', 'test')),
    message_id   varchar(40)  NOT NULL,
    call_sid     varchar(64)  NOT NULL,
    location_id  varchar(40),
    caller_phone varchar(32)  NOT NULL,
    caller_name  varchar(200),
    body         text         NOT NULL,
    created_at   timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, env, message_id),
    UNIQUE (tenant_id, env, call_sid, body)
);
CREATE INDEX IF NOT EXISTS ix_voice_messages_created ON voice_messages (tenant_id, env, created_at DESC);

CREATE TABLE IF NOT EXISTS voice_dashboard_tokens
(
    token_hash varchar(64) PRIMARY KEY,
    tenant_id  varchar(40) NOT NULL REFERENCES tenants (tenant_id),
    env        varchar(4)  NOT NULL CHECK (env IN ('live', 'test')),
    expires_at timestamptz NOT NULL
);
