-- CRM leads, smart segments, Autopilot campaigns (definition rows; the campaign grain drives them), enrollments,
-- touches (exactly once per enrollment and step), variants and outcomes.

CREATE TABLE IF NOT EXISTS crm_leads
(
    tenant_id   varchar(40)   NOT NULL REFERENCES tenants (tenant_id),
    env         varchar(4)    NOT NULL CHECK (env IN ('live', 'test')),
    lead_id     varchar(40)   NOT NULL,
    name        varchar(100)  NOT NULL,
    phone       varchar(20),
    email       varchar(254),
    company     varchar(100),
    source      varchar(20)   NOT NULL,
    status      varchar(12)   NOT NULL CHECK (status IN ('new', 'contacted', 'qualified', 'converted', 'lost')),
    tags        text[]        NOT NULL DEFAULT '{}',
    notes       varchar(1000),
    owner       varchar(100),
    location_id varchar(40),
    timezone    varchar(64),
    created_at  timestamptz   NOT NULL,
    updated_at  timestamptz   NOT NULL,
    PRIMARY KEY (tenant_id, env, lead_id)
);
CREATE INDEX IF NOT EXISTS ix_crm_leads_created ON crm_leads (tenant_id, env, created_at) INCLUDE (source, status);
CREATE INDEX IF NOT EXISTS ix_crm_leads_status ON crm_leads (tenant_id, env, status, created_at);
CREATE INDEX IF NOT EXISTS ix_crm_leads_phone ON crm_leads (tenant_id, env, phone);
CREATE INDEX IF NOT EXISTS ix_crm_leads_email ON crm_leads (tenant_id, env, lower(email));
CREATE INDEX IF NOT EXISTS ix_crm_leads_tags ON crm_leads USING gin (tags);

-- Daily lead counts by source and status, kept by statement-level triggers in the transaction of every insert,
-- update and delete of crm_leads: analytics read at most a few thousand rows however many leads there are.
CREATE TABLE IF NOT EXISTS crm_lead_daily
(
    tenant_id varchar(40) NOT NULL,
    env       varchar(4)  NOT NULL,
    day       date        NOT NULL,
    source    varchar(20) NOT NULL,
    status    varchar(12) NOT NULL,
    n         bigint      NOT NULL,
    PRIMARY KEY (tenant_id, env, day, source, status)
);

CREATE OR REPLACE FUNCTION crm_lead_daily_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO crm_lead_daily (tenant_id, env, day, source, status, n)
        SELECT tenant_id, env, (created_at AT TIME ZONE 'UTC')::date, source, status, count(*)
          FROM new_rows GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (tenant_id, env, day, source, status) DO UPDATE SET n = crm_lead_daily.n + excluded.n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO crm_lead_daily (tenant_id, env, day, source, status, n)
        SELECT tenant_id, env, (created_at AT TIME ZONE 'UTC')::date, source, status, -count(*)
          FROM old_rows GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (tenant_id, env, day, source, status) DO UPDATE SET n = crm_lead_daily.n + excluded.n;
    ELSE
        INSERT INTO crm_lead_daily (tenant_id, env, day, source, status, n)
        SELECT tenant_id, env, day, source, status, sum(d)
          FROM (SELECT tenant_id, env, (created_at AT TIME ZONE 'UTC')::date AS day, source, status, 1 AS d FROM new_rows
                UNION ALL
                SELECT tenant_id, env, (created_at AT TIME ZONE 'UTC')::date, source, status, -1 FROM old_rows) x
         GROUP BY 1, 2, 3, 4, 5 HAVING sum(d) <> 0 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (tenant_id, env, day, source, status) DO UPDATE SET n = crm_lead_daily.n + excluded.n;
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS crm_leads_daily_insert ON crm_leads;
CREATE TRIGGER crm_leads_daily_insert AFTER INSERT ON crm_leads
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_lead_daily_apply();
DROP TRIGGER IF EXISTS crm_leads_daily_update ON crm_leads;
CREATE TRIGGER crm_leads_daily_update AFTER UPDATE ON crm_leads
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_lead_daily_apply();
DROP TRIGGER IF EXISTS crm_leads_daily_delete ON crm_leads;
CREATE TRIGGER crm_leads_daily_delete AFTER DELETE ON crm_leads
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_lead_daily_apply();

CREATE TABLE IF NOT EXISTS crm_segments
(
    tenant_id    varchar(40)  NOT NULL REFERENCES tenants (tenant_id),
    env          varchar(4)   NOT NULL CHECK (env IN ('live', 'test')),
    segment_id   varchar(40)  NOT NULL,
    name         varchar(200) NOT NULL,
    rules        jsonb        NOT NULL,
    combine_with varchar(3)   NOT NULL CHECK (combine_with IN ('AND', 'OR')),
    created_at   timestamptz  NOT NULL,
    PRIMARY KEY (tenant_id, env, segment_id)
);

CREATE TABLE IF NOT EXISTS autopilot_campaigns
(
    tenant_id       varchar(40)  NOT NULL REFERENCES tenants (tenant_id),
    env             varchar(4)   NOT NULL CHECK (env IN ('live', 'test')),
    campaign_id     varchar(40)  NOT NULL,
    name            varchar(200) NOT NULL,
    goal            varchar(20)  NOT NULL CHECK (goal IN ('booking', 'sale', 'survey', 'reactivation')),
    segment_id      varchar(40),
    cadence_days    integer[]    NOT NULL,
    channel         varchar(5)   NOT NULL CHECK (channel IN ('sms', 'email', 'both')),
    status          varchar(10)  NOT NULL CHECK (status IN ('draft', 'active', 'paused')),
    is_default      boolean      NOT NULL DEFAULT false,
    location_id     varchar(40),
    created_at      timestamptz  NOT NULL,
    updated_at      timestamptz  NOT NULL,
    PRIMARY KEY (tenant_id, env, campaign_id)
);
CREATE UNIQUE INDEX IF NOT EXISTS ux_autopilot_default ON autopilot_campaigns (tenant_id, env) WHERE is_default;

CREATE TABLE IF NOT EXISTS autopilot_variants
(
    tenant_id       varchar(40)   NOT NULL REFERENCES tenants (tenant_id),
    env             varchar(4)    NOT NULL CHECK (env IN ('live', 'test')),
    campaign_id     varchar(40)   NOT NULL,
    variant_id      varchar(40)   NOT NULL,
    name            varchar(100)  NOT NULL,
    tone            varchar(12)   NOT NULL CHECK (tone IN ('friendly', 'professional', 'urgent', 'casual')),
    content         varchar(1600) NOT NULL,
    traffic_percent integer       NOT NULL CHECK (traffic_percent BETWEEN 0 AND 100),
    auto_balanced   boolean       NOT NULL,
    created_at      timestamptz   NOT NULL,
    PRIMARY KEY (tenant_id, env, campaign_id, variant_id)
);

-- One row per lead in a campaign. state: active (touches due), paused (replied / paused by hand),
-- completed (every step done), exited (opted out, converted, removed).
CREATE TABLE IF NOT EXISTS autopilot_enrollments
(
    tenant_id       varchar(40)  NOT NULL REFERENCES tenants (tenant_id),
    env             varchar(4)   NOT NULL CHECK (env IN ('live', 'test')),
    enrollment_id   varchar(40)  NOT NULL,
    campaign_id     varchar(40)  NOT NULL,
    lead_id         varchar(40)  NOT NULL,
    phone           varchar(20),
    variant_id      varchar(40),
    state           varchar(10)  NOT NULL CHECK (state IN ('active', 'paused', 'completed', 'exited')),
    reason          varchar(40),
    next_step       integer      NOT NULL DEFAULT 0,
    next_due_at     timestamptz,
    enrolled_at     timestamptz  NOT NULL,
    reply_watermark timestamptz  NOT NULL,   -- inbound SMS after this instant pause the cadence
    updated_at      timestamptz  NOT NULL,
    PRIMARY KEY (tenant_id, env, enrollment_id),
    UNIQUE (tenant_id, env, campaign_id, lead_id)
);
CREATE INDEX IF NOT EXISTS ix_autopilot_due ON autopilot_enrollments (tenant_id, env, campaign_id, next_due_at) WHERE state = 'active';
CREATE INDEX IF NOT EXISTS ix_autopilot_enrollment_phone ON autopilot_enrollments (tenant_id, env, phone);
CREATE INDEX IF NOT EXISTS ix_autopilot_enrollment_lead ON autopilot_enrollments (tenant_id, env, lead_id);

-- A touch is recorded before its SMS is requested (same idempotency key), so a replay resends nothing new.
CREATE TABLE IF NOT EXISTS autopilot_touches
(
    tenant_id     varchar(40)   NOT NULL REFERENCES tenants (tenant_id),
    env           varchar(4)    NOT NULL CHECK (env IN ('live', 'test')),
    enrollment_id varchar(40)   NOT NULL,
    step          integer       NOT NULL,
    campaign_id   varchar(40)   NOT NULL,
    variant_id    varchar(40),
    lead_id       varchar(40)   NOT NULL,
    body          varchar(1600) NOT NULL,
    status        varchar(12)   NOT NULL CHECK (status IN ('pending', 'sent', 'suppressed', 'failed')),
    message_id    varchar(40),
    created_at    timestamptz   NOT NULL,
    sent_at       timestamptz,
    PRIMARY KEY (tenant_id, env, enrollment_id, step)
);
CREATE INDEX IF NOT EXISTS ix_autopilot_touches_lead ON autopilot_touches (tenant_id, env, lead_id, created_at DESC);
CREATE INDEX IF NOT EXISTS ix_autopilot_touches_campaign ON autopilot_touches (tenant_id, env, campaign_id, variant_id);

CREATE TABLE IF NOT EXISTS autopilot_outcomes
(
    tenant_id       varchar(40)   NOT NULL REFERENCES tenants (tenant_id),
    env             varchar(4)    NOT NULL CHECK (env IN ('live', 'test')),
    outcome_id      varchar(40)   NOT NULL,
    type            varchar(20)   NOT NULL CHECK (type IN ('booking', 'sale', 'conversion', 'lead_qualified')),
    value           numeric(14,2) NOT NULL DEFAULT 0,
    agent_id        varchar(100),
    customer_id     varchar(100)  NOT NULL,
    lead_id         varchar(40),
    campaign_id     varchar(40),
    variant_id      varchar(40),
    idempotency_key varchar(200),
    created_at      timestamptz   NOT NULL,
    PRIMARY KEY (tenant_id, env, outcome_id),
    UNIQUE (tenant_id, env, idempotency_key)
);
CREATE INDEX IF NOT EXISTS ix_autopilot_outcomes_campaign ON autopilot_outcomes (tenant_id, env, campaign_id, variant_id);
