-- Inventory: items, per-location stock (written only by the item's grain), an append-only stock ledger with one
-- idempotency key per item, transfers between locations, suppliers and per-tenant inventory settings.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE IF NOT EXISTS inventory_settings
(
    tenant_id            varchar(40) NOT NULL REFERENCES tenants (tenant_id),
    env                  varchar(4)  NOT NULL CHECK (env IN ('live', 'test')),
    allow_negative_stock boolean     NOT NULL DEFAULT false,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, env)
);

CREATE TABLE IF NOT EXISTS inventory_suppliers
(
    tenant_id      varchar(40)  NOT NULL REFERENCES tenants (tenant_id),
    env            varchar(4)   NOT NULL CHECK (env IN ('live', 'test')),
    supplier_id    varchar(40)  NOT NULL,
    name           varchar(200) NOT NULL,
    contact_email  varchar(254),
    lead_time_days integer      CHECK (lead_time_days BETWEEN 0 AND 365),
    created_at     timestamptz  NOT NULL,
    PRIMARY KEY (tenant_id, env, supplier_id)
);
CREATE UNIQUE INDEX IF NOT EXISTS ux_inventory_suppliers_name ON inventory_suppliers (tenant_id, env, lower(name));

CREATE TABLE IF NOT EXISTS inventory_items
(
    tenant_id    varchar(40)   NOT NULL REFERENCES tenants (tenant_id),
    env          varchar(4)    NOT NULL CHECK (env IN ('live', 'test')),
    item_id      varchar(40)   NOT NULL,
    sku          varchar(64)   NOT NULL,
    name         varchar(200)  NOT NULL,
    category     varchar(100),
    unit         varchar(20)   NOT NULL DEFAULT 'each',
    cost         numeric(14,4),
    price        numeric(14,4),
    supplier_id  varchar(40),
    barcodes     text[]        NOT NULL DEFAULT '{}',
    discontinued boolean       NOT NULL DEFAULT false,
    search_text  text          NOT NULL,   -- lower(name sku barcodes), trigram-indexed
    created_at   timestamptz   NOT NULL,
    updated_at   timestamptz   NOT NULL,
    deleted_at   timestamptz,
    PRIMARY KEY (tenant_id, env, item_id)
);
-- SKUs are unique per tenant partition, case-insensitively, among items not deleted.
CREATE UNIQUE INDEX IF NOT EXISTS ux_inventory_items_sku ON inventory_items (tenant_id, env, lower(sku)) WHERE deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS ix_inventory_items_search ON inventory_items USING gin (search_text gin_trgm_ops);
CREATE INDEX IF NOT EXISTS ix_inventory_items_name ON inventory_items (tenant_id, env, name, item_id) WHERE deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS ix_inventory_items_category ON inventory_items (tenant_id, env, category) WHERE deleted_at IS NULL;

-- A barcode identifies one item of a tenant partition.
CREATE TABLE IF NOT EXISTS inventory_barcodes
(
    tenant_id varchar(40) NOT NULL,
    env       varchar(4)  NOT NULL,
    barcode   varchar(64) NOT NULL,
    item_id   varchar(40) NOT NULL,
    PRIMARY KEY (tenant_id, env, barcode),
    FOREIGN KEY (tenant_id, env, item_id) REFERENCES inventory_items (tenant_id, env, item_id)
);
CREATE INDEX IF NOT EXISTS ix_inventory_barcodes_item ON inventory_barcodes (tenant_id, env, item_id);

CREATE TABLE IF NOT EXISTS inventory_stock
(
    tenant_id        varchar(40)   NOT NULL,
    env              varchar(4)    NOT NULL,
    item_id          varchar(40)   NOT NULL,
    location_id      varchar(40)   NOT NULL,
    on_hand          numeric(14,3) NOT NULL DEFAULT 0,
    reserved         numeric(14,3) NOT NULL DEFAULT 0,
    in_transit       numeric(14,3) NOT NULL DEFAULT 0,   -- incoming: shipped to this location, not yet received
    min_qty          numeric(14,3),
    reorder_point    numeric(14,3),
    max_qty          numeric(14,3),
    reorder_multiple numeric(14,3),
    alert_state      varchar(4)    NOT NULL DEFAULT 'ok' CHECK (alert_state IN ('ok', 'low', 'out')),
    status           varchar(20)   NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'low_stock', 'out_of_stock')),
    last_count_at    timestamptz,  -- client timestamp of the physical count the on-hand figure starts from
    version          bigint        NOT NULL DEFAULT 1,
    updated_at       timestamptz   NOT NULL,
    PRIMARY KEY (tenant_id, env, item_id, location_id),
    FOREIGN KEY (tenant_id, env, item_id) REFERENCES inventory_items (tenant_id, env, item_id)
);
CREATE INDEX IF NOT EXISTS ix_inventory_stock_location ON inventory_stock (tenant_id, env, location_id, status);

CREATE TABLE IF NOT EXISTS inventory_ledger
(
    tenant_id       varchar(40)   NOT NULL,
    env             varchar(4)    NOT NULL,
    entry_id        bigint        GENERATED ALWAYS AS IDENTITY,
    item_id         varchar(40)   NOT NULL,
    location_id     varchar(40)   NOT NULL,
    idempotency_key varchar(200)  NOT NULL,
    fingerprint     varchar(64)   NOT NULL,   -- hash of the request: a reused key with another request is refused
    kind            varchar(20)   NOT NULL CHECK (kind IN ('adjustment', 'count', 'transfer_out', 'transfer_in', 'transfer_receive', 'transfer_return')),
    reason          varchar(20)   NOT NULL,
    quantity        numeric(14,3) NOT NULL,   -- the requested delta, or the counted quantity
    applied_delta   numeric(14,3) NOT NULL,   -- what changed on hand (0 when superseded by a later count)
    on_hand_after   numeric(14,3) NOT NULL,
    applied         boolean       NOT NULL,
    explanation     varchar(300),
    client_ts       timestamptz   NOT NULL,
    recorded_at     timestamptz   NOT NULL,
    actor           varchar(60),
    note            varchar(500),
    transfer_id     varchar(40),
    PRIMARY KEY (tenant_id, env, entry_id),
    UNIQUE (tenant_id, env, item_id, idempotency_key)
);
CREATE INDEX IF NOT EXISTS ix_inventory_ledger_item ON inventory_ledger (tenant_id, env, item_id, location_id, client_ts);
CREATE INDEX IF NOT EXISTS ix_inventory_ledger_sales ON inventory_ledger (tenant_id, env, location_id, client_ts) WHERE reason = 'sale';

CREATE TABLE IF NOT EXISTS inventory_transfers
(
    tenant_id          varchar(40)  NOT NULL REFERENCES tenants (tenant_id),
    env                varchar(4)   NOT NULL CHECK (env IN ('live', 'test')),
    transfer_id        varchar(40)  NOT NULL,
    from_location_id   varchar(40)  NOT NULL,
    to_location_id     varchar(40)  NOT NULL,
    status             varchar(12)  NOT NULL CHECK (status IN ('requested', 'approved', 'rejected', 'in_transit', 'completed')),
    lines              jsonb        NOT NULL,   -- [{line, itemId, sku, quantity}]
    note               varchar(500),
    requested_by       varchar(60),
    reject_reason      varchar(500),
    ship_attempt       integer      NOT NULL DEFAULT 1,
    compensate_attempt integer,                -- a refused shipment whose earlier lines are still being returned
    created_at         timestamptz  NOT NULL,
    approved_at        timestamptz,
    shipped_at         timestamptz,
    completed_at       timestamptz,
    rejected_at        timestamptz,
    updated_at         timestamptz  NOT NULL,
    PRIMARY KEY (tenant_id, env, transfer_id),
    CHECK (from_location_id <> to_location_id)
);
CREATE INDEX IF NOT EXISTS ix_inventory_transfers_status ON inventory_transfers (tenant_id, env, status, created_at);
