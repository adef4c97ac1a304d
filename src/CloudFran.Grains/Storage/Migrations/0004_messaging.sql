-- Messaging backbone: Twilio accounts and numbers, the SMS outbox/thread, one consent record per phone, the
-- consent audit trail, webhook endpoints and per-endpoint deliveries of outbox_events.

CREATE TABLE IF NOT EXISTS tenant_twilio
(
    tenant_id             varchar(40)  NOT NULL REFERENCES tenants (tenant_id),
    env                   varchar(4)   NOT NULL CHECK (env IN ('live', 'test')),
    account_sid           varchar(64)  NOT NULL,
    auth_user             varchar(64)  NOT NULL,  -- AccountSid, or an API key SK… for REST calls
    auth_secret           varchar(128) NOT NULL,  -- AuthToken or API key secret (never returned)
    webhook_token         varchar(128) NOT NULL,  -- the account's AuthToken: validates X-Twilio-Signature
    messaging_service_sid varchar(64),
    updated_at            timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, env)
);

-- A number belongs to exactly one tenant (and partition) and location, platform-wide.
CREATE TABLE IF NOT EXISTS phone_numbers
(
    phone_number varchar(20)  NOT NULL PRIMARY KEY,
    number_id    varchar(40)  NOT NULL UNIQUE,
    tenant_id    varchar(40)  NOT NULL REFERENCES tenants (tenant_id),
    env          varchar(4)   NOT NULL CHECK (env IN ('live', 'test')),
    location_id  varchar(40),
    created_at   timestamptz  NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ix_phone_numbers_tenant ON phone_numbers (tenant_id, env, created_at);

CREATE TABLE IF NOT EXISTS sms_messages
(
    message_id      varchar(40)   NOT NULL PRIMARY KEY,
    tenant_id       varchar(40)   NOT NULL REFERENCES tenants (tenant_id),
    env             varchar(4)    NOT NULL CHECK (env IN ('live', 'test')),
    direction       varchar(8)    NOT NULL CHECK (direction IN ('outbound', 'inbound')),
    contact_phone   varchar(20)   NOT NULL,   -- the customer's number (To when outbound, From when inbound)
    platform_phone  varchar(20),              -- our number (From when outbound, To when inbound)
    body            varchar(1600) NOT NULL,
    media_urls      jsonb         NOT NULL DEFAULT '[]',
    category        varchar(20)   NOT NULL DEFAULT 'transactional',
    location_id     varchar(40),
    status          varchar(20)   NOT NULL,
    status_rank     smallint      NOT NULL,
    twilio_sid      varchar(64)   UNIQUE,
    error_code      varchar(20),
    error_message   varchar(500),
    idempotency_key varchar(200),
    attempts        integer       NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    created_at      timestamptz   NOT NULL,
    updated_at      timestamptz   NOT NULL,
    UNIQUE (tenant_id, env, idempotency_key)
);
CREATE INDEX IF NOT EXISTS ix_sms_thread ON sms_messages (tenant_id, env, contact_phone, created_at DESC);
CREATE INDEX IF NOT EXISTS ix_sms_due ON sms_messages (next_attempt_at) WHERE status = 'queued';

CREATE TABLE IF NOT EXISTS sms_consent
(
    tenant_id  varchar(40) NOT NULL REFERENCES tenants (tenant_id),
    env        varchar(4)  NOT NULL CHECK (env IN ('live', 'test')),
    phone      varchar(20) NOT NULL,
    status     varchar(12) NOT NULL CHECK (status IN ('opted_in', 'opted_out')),
    reason     varchar(40),
    source     varchar(40) NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, env, phone)
);

CREATE TABLE IF NOT EXISTS consent_audit
(
    audit_id    bigserial    PRIMARY KEY,
    tenant_id   varchar(40)  NOT NULL REFERENCES tenants (tenant_id),
    env         varchar(4)   NOT NULL CHECK (env IN ('live', 'test')),
    customer_id varchar(40)  NOT NULL,   -- the phone number (E.164) for SMS consent
    type        varchar(20)  NOT NULL CHECK (type IN ('opt_in', 'opt_out', 'deletion', 'ccpa', 'double_opt_in')),
    channel     varchar(10)  NOT NULL,
    source      varchar(40)  NOT NULL,
    actor       varchar(60)  NOT NULL,
    reason      varchar(40),
    created_at  timestamptz  NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_consent_audit ON consent_audit (tenant_id, env, customer_id, created_at);

CREATE TABLE IF NOT EXISTS webhook_endpoints
(
    endpoint_id                varchar(40)  NOT NULL PRIMARY KEY,
    tenant_id                  varchar(40)  NOT NULL REFERENCES tenants (tenant_id),
    env                        varchar(4)   NOT NULL CHECK (env IN ('live', 'test')),
    url                        varchar(2000) NOT NULL,
    events                     jsonb        NOT NULL,
    description                varchar(500),
    secret                     varchar(100) NOT NULL,
    previous_secret            varchar(100),
    previous_secret_expires_at timestamptz,
    status                     varchar(10)  NOT NULL CHECK (status IN ('active', 'disabled', 'failing')),
    format                     varchar(4)   NOT NULL DEFAULT 'json' CHECK (format IN ('json', 'form')),
    created_at                 timestamptz  NOT NULL DEFAULT now(),
    updated_at                 timestamptz  NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ix_webhook_endpoints_tenant ON webhook_endpoints (tenant_id, env);

ALTER TABLE outbox_events ADD COLUMN IF NOT EXISTS fanned_out boolean NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS ix_outbox_events_pending ON outbox_events (created_at) WHERE NOT fanned_out;

CREATE TABLE IF NOT EXISTS webhook_deliveries
(
    delivery_id      varchar(40)  NOT NULL PRIMARY KEY,
    tenant_id        varchar(40)  NOT NULL,
    env              varchar(4)   NOT NULL,
    endpoint_id      varchar(40)  NOT NULL REFERENCES webhook_endpoints (endpoint_id) ON DELETE CASCADE,
    event_id         varchar(40)  NOT NULL REFERENCES outbox_events (event_id),
    status           varchar(10)  NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts         integer      NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz,
    last_status_code integer,
    last_latency_ms  integer,
    last_error       varchar(500),
    created_at       timestamptz  NOT NULL DEFAULT now(),
    updated_at       timestamptz  NOT NULL DEFAULT now(),
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX IF NOT EXISTS ix_webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS ix_webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at DESC);
