-- Platform core: tenants, API keys, team invitations, franchise locations.
-- Every tenant-owned table leads with tenant_id; environment-partitioned data carries env ('live' | 'test').

CREATE TABLE IF NOT EXISTS tenants
(
    tenant_id          varchar(40)  NOT NULL PRIMARY KEY,
    business_name      varchar(200) NOT NULL,
    plan               varchar(20)  NOT NULL CHECK (plan IN ('starter', 'pro', 'enterprise')),
    status             varchar(20)  NOT NULL CHECK (status IN ('active', 'suspended', 'trial', 'cancelled')),
    timezone           varchar(64)  NOT NULL DEFAULT 'UTC',
    notification_email varchar(254),
    brand_color        varchar(7),
    custom_quotas      jsonb,
    created_at         timestamptz  NOT NULL DEFAULT now(),
    updated_at         timestamptz  NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ix_tenants_status_plan ON tenants (status, plan);

-- Keys are stored only as SHA-256 hashes of the full secret; tenant_id is NULL for platform (sk_admin_) keys.
CREATE TABLE IF NOT EXISTS api_keys
(
    key_id       varchar(40)  NOT NULL PRIMARY KEY,
    key_hash     varchar(64)  NOT NULL UNIQUE,
    tenant_id    varchar(40)  REFERENCES tenants (tenant_id),
    key_type     varchar(10)  NOT NULL CHECK (key_type IN ('live', 'test', 'admin')),
    role         varchar(10)  NOT NULL CHECK (role IN ('admin', 'manager', 'agent', 'viewer')),
    name         varchar(100) NOT NULL,
    last_four    varchar(4)   NOT NULL,
    created_at   timestamptz  NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz
);
CREATE INDEX IF NOT EXISTS ix_api_keys_tenant ON api_keys (tenant_id, created_at);

CREATE TABLE IF NOT EXISTS team_members
(
    tenant_id   varchar(40)  NOT NULL REFERENCES tenants (tenant_id),
    member_id   varchar(40)  NOT NULL,
    email       varchar(254) NOT NULL,
    role        varchar(10)  NOT NULL CHECK (role IN ('admin', 'manager', 'agent', 'viewer')),
    permissions jsonb        NOT NULL DEFAULT '[]',
    locations   jsonb        NOT NULL DEFAULT '[]',
    status      varchar(20)  NOT NULL CHECK (status IN ('invited', 'active', 'disabled')),
    invited_at  timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, member_id),
    UNIQUE (tenant_id, email)
);

CREATE TABLE IF NOT EXISTS locations
(
    tenant_id   varchar(40)  NOT NULL REFERENCES tenants (tenant_id),
    env         varchar(4)   NOT NULL CHECK (env IN ('live', 'test')),
    location_id varchar(40)  NOT NULL,
    name        varchar(200) NOT NULL,
    status      varchar(20)  NOT NULL CHECK (status IN ('active', 'inactive', 'coming_soon')),
    city        varchar(100),
    search_text text         NOT NULL,
    doc         jsonb        NOT NULL,
    version     integer      NOT NULL,
    created_at  timestamptz  NOT NULL,
    updated_at  timestamptz  NOT NULL,
    PRIMARY KEY (tenant_id, env, location_id)
);
CREATE INDEX IF NOT EXISTS ix_locations_list ON locations (tenant_id, env, status, name);
