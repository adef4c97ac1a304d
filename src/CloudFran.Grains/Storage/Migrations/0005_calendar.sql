-- Calendar: providers/resources, services, appointments and holds. No two booked or held, unparked appointments of
-- one provider can overlap (buffers included): the provider's grain is the only writer, and the exclusion constraint refuses an overlap even
-- if two writers ever existed (split brain).
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE IF NOT EXISTS calendar_providers
(
    tenant_id    varchar(40)  NOT NULL REFERENCES tenants (tenant_id),
    env          varchar(4)   NOT NULL CHECK (env IN ('live', 'test')),
    provider_id  varchar(40)  NOT NULL,
    location_id  varchar(40)  NOT NULL,
    name         varchar(200) NOT NULL,
    kind         varchar(20)  NOT NULL CHECK (kind IN ('staff', 'room', 'chair', 'technician', 'table')),
    weekly_hours jsonb,
    exceptions   jsonb        NOT NULL DEFAULT '[]',  -- [{date, closed, hours:[{open, close}]}]
    active       boolean      NOT NULL DEFAULT true,
    created_at   timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, env, provider_id)
);
CREATE INDEX IF NOT EXISTS ix_calendar_providers_location ON calendar_providers (tenant_id, env, location_id);

CREATE TABLE IF NOT EXISTS calendar_services
(
    tenant_id             varchar(40)   NOT NULL REFERENCES tenants (tenant_id),
    env                   varchar(4)    NOT NULL CHECK (env IN ('live', 'test')),
    service_id            varchar(40)   NOT NULL,
    location_id           varchar(40)   NOT NULL,
    name                  varchar(100)  NOT NULL,
    duration_minutes      integer       NOT NULL CHECK (duration_minutes BETWEEN 5 AND 720),
    buffer_before_minutes integer       NOT NULL DEFAULT 0,
    buffer_after_minutes  integer       NOT NULL DEFAULT 0,
    price                 numeric(12,2),
    provider_ids          jsonb         NOT NULL DEFAULT '[]',
    created_at            timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, env, service_id),
    UNIQUE (tenant_id, env, location_id, name)
);

CREATE TABLE IF NOT EXISTS appointments
(
    tenant_id       varchar(40)  NOT NULL REFERENCES tenants (tenant_id),
    env             varchar(4)   NOT NULL CHECK (env IN ('live', 'test')),
    appointment_id  varchar(40)  NOT NULL,
    location_id     varchar(40)  NOT NULL,
    provider_id     varchar(40)  NOT NULL,
    service_id      varchar(40)  NOT NULL,
    service_type    varchar(100) NOT NULL,
    start_at        timestamptz  NOT NULL,
    end_at          timestamptz  NOT NULL,
    block_start     timestamptz  NOT NULL,   -- start minus the service's buffer before
    block_end       timestamptz  NOT NULL,   -- end plus the buffer after
    customer_name   varchar(200),            -- NULL only while a hold is unconfirmed
    customer_phone  varchar(20),
    customer_email  varchar(254),
    notes           varchar(2000),
    booking_method  smallint     NOT NULL CHECK (booking_method IN (1, 2, 3)),
    status          varchar(10)  NOT NULL CHECK (status IN ('held', 'booked', 'cancelled', 'released')),
    hold_expires_at timestamptz,
    parked          boolean      NOT NULL DEFAULT false,
    parent_appointment_id varchar(40),
    reminder_sent_at timestamptz,
    cancel_reason   varchar(100),
    cancel_message  varchar(1000),
    created_at      timestamptz  NOT NULL,
    last_modified   timestamptz  NOT NULL,
    PRIMARY KEY (tenant_id, env, appointment_id),
    CHECK (end_at > start_at),
    CONSTRAINT appointments_no_overlap EXCLUDE USING gist (
        tenant_id WITH =, env WITH =, provider_id WITH =, tstzrange(block_start, block_end, '[)') WITH &&)
        WHERE (status IN ('held', 'booked') AND NOT parked)
);
CREATE INDEX IF NOT EXISTS ix_appointments_provider ON appointments (tenant_id, env, provider_id, start_at);
CREATE INDEX IF NOT EXISTS ix_appointments_location ON appointments (tenant_id, env, location_id, start_at);
CREATE INDEX IF NOT EXISTS ix_appointments_modified ON appointments (tenant_id, env, last_modified);
CREATE INDEX IF NOT EXISTS ix_appointments_reminder_due ON appointments (start_at) WHERE status = 'booked' AND reminder_sent_at IS NULL;
