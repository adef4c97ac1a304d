-- Email channel: the tenant's SMTP settings, the email outbox, one consent record per address, the server secret
-- that signs unsubscribe links, and the email outcome of Autopilot touches.

CREATE TABLE IF NOT EXISTS tenant_email
(
    tenant_id    varchar(40)  NOT NULL REFERENCES tenants (tenant_id),
    env          varchar(4)   NOT NULL CHECK (env IN ('live', 'test')),
    host         varchar(253) NOT NULL,
    port         integer      NOT NULL CHECK (port BETWEEN 1 AND 65535),
    username     varchar(254),
    password     varchar(256),            -- never returned
    from_address varchar(254) NOT NULL,
    from_name    varchar(100),
    security     varchar(8)   NOT NULL CHECK (security IN ('none', 'starttls', 'tls')),
    updated_at   timestamptz  NOT NULL,
    PRIMARY KEY (tenant_id, env)
);

CREATE TABLE IF NOT EXISTS email_messages
(
    message_id      varchar(40)  NOT NULL PRIMARY KEY,
    tenant_id       varchar(40)  NOT NULL REFERENCES tenants (tenant_id),
    env             varchar(4)   NOT NULL CHECK (env IN ('live', 'test')),
    to_address      varchar(254) NOT NULL,   -- stored lower-case
    subject         varchar(200) NOT NULL,
    text_body       text         NOT NULL CHECK (length(text_body) <= 100000),
    category        varchar(20)  NOT NULL CHECK (category IN ('transactional', 'marketing')),
    location_id     varchar(40),
    status          varchar(12)  NOT NULL CHECK (status IN ('queued', 'sent', 'failed', 'suppressed')),
    smtp_message_id varchar(300),
    error_code      varchar(40),
    error_message   varchar(500),
    idempotency_key varchar(200),
    attempts        integer      NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    created_at      timestamptz  NOT NULL,
    sent_at         timestamptz,
    updated_at      timestamptz  NOT NULL,
    UNIQUE (tenant_id, env, idempotency_key)
);
CREATE INDEX IF NOT EXISTS ix_email_due ON email_messages (next_attempt_at) WHERE status = 'queued';
CREATE INDEX IF NOT EXISTS ix_email_to ON email_messages (tenant_id, env, to_address, created_at DESC);

CREATE TABLE IF NOT EXISTS email_consent
(
    tenant_id  varchar(40)  NOT NULL REFERENCES tenants (tenant_id),
    env        varchar(4)   NOT NULL CHECK (env IN ('live', 'test')),
    address    varchar(254) NOT NULL,   -- lower-case
    status     varchar(12)  NOT NULL CHECK (status IN ('opted_in', 'opted_out')),
    source     varchar(40)  NOT NULL,
    updated_at timestamptz  NOT NULL,
    PRIMARY KEY (tenant_id, env, address)
);

-- Platform-wide secrets generated on first use (one row per name), shared by every node.
CREATE TABLE IF NOT EXISTS platform_secrets
(
    name       varchar(60)  NOT NULL PRIMARY KEY,
    value      varchar(200) NOT NULL,
    created_at timestamptz  NOT NULL DEFAULT now()
);

-- Autopilot: the email side of a touch (the SMS side keeps status/message_id).
ALTER TABLE autopilot_touches ADD COLUMN IF NOT EXISTS email_status varchar(12)
    CHECK (email_status IN ('pending', 'sent', 'suppressed', 'failed', 'skipped'));
ALTER TABLE autopilot_touches ADD COLUMN IF NOT EXISTS email_message_id varchar(40);
ALTER TABLE autopilot_touches DROP CONSTRAINT IF EXISTS autopilot_touches_status_check;
ALTER TABLE autopilot_touches ADD CONSTRAINT autopilot_touches_status_check
    CHECK (status IN ('pending', 'sent', 'suppressed', 'failed', 'skipped'));
