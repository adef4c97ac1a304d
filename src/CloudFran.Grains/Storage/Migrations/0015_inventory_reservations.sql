-- Inventory reservations: stock held for an order at one location. The item's grain is the only writer: a hold
-- raises inventory_stock.reserved, a release lowers it, a fulfilment lowers reserved and on hand together with one
-- `sale` ledger row that names the reservation. Holds past expires_at are released by a sweeper through that grain.
CREATE TABLE IF NOT EXISTS inventory_reservations
(
    tenant_id       varchar(40)   NOT NULL,
    env             varchar(4)    NOT NULL CHECK (env IN ('live', 'test')),
    reservation_id  varchar(40)   NOT NULL,
    item_id         varchar(40)   NOT NULL,
    location_id     varchar(40)   NOT NULL,
    quantity        numeric(14,3) NOT NULL CHECK (quantity > 0),
    reference       varchar(200),
    status          varchar(10)   NOT NULL CHECK (status IN ('held', 'released', 'fulfilled')),
    release_reason  varchar(10)   CHECK (release_reason IN ('manual', 'expired')),
    idempotency_key varchar(200)  NOT NULL,
    fingerprint     varchar(64)   NOT NULL,   -- hash of the request: a reused key with another request is refused
    actor           varchar(60),
    expires_at      timestamptz,
    created_at      timestamptz   NOT NULL,
    released_at     timestamptz,
    fulfilled_at    timestamptz,
    ledger_entry_id bigint,                   -- the sale entry written by the fulfilment
    updated_at      timestamptz   NOT NULL,
    PRIMARY KEY (tenant_id, env, reservation_id),
    UNIQUE (tenant_id, env, item_id, idempotency_key),
    FOREIGN KEY (tenant_id, env, item_id) REFERENCES inventory_items (tenant_id, env, item_id)
);
CREATE INDEX IF NOT EXISTS ix_inventory_reservations_item ON inventory_reservations (tenant_id, env, item_id, status, created_at);
-- The expiry sweep scans only live holds with an expiry.
CREATE INDEX IF NOT EXISTS ix_inventory_reservations_expiry ON inventory_reservations (expires_at) WHERE status = 'held' AND expires_at IS NOT NULL;

-- The fulfilment's sale entry names its reservation.
ALTER TABLE inventory_ledger ADD COLUMN IF NOT EXISTS reservation_id varchar(40);
