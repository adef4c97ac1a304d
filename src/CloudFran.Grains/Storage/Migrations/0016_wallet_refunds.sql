-- Wallet refunds and chargebacks: every stored-value debit or credit caused by a Stripe refund or dispute of a
-- wallet load. One row per Stripe object and kind (a refund re_…, a dispute dp_… opened, the same dispute won), so
-- an API refund and the charge.refunded webhook for the same Stripe refund meet on the primary key and the wallet
-- moves once. The ledger entry is written in the same transaction under the key "{kind}:{stripe_id}".
CREATE TABLE IF NOT EXISTS loyalty_wallet_refunds
(
    tenant_id       varchar(40)    NOT NULL REFERENCES tenants (tenant_id),
    env             varchar(4)     NOT NULL CHECK (env IN ('live', 'test')),
    stripe_id       varchar(255)   NOT NULL,
    kind            varchar(12)    NOT NULL CHECK (kind IN ('refund', 'dispute', 'dispute_won')),
    load_id         varchar(40)    NOT NULL,
    member_id       varchar(40)    NOT NULL,
    amount          numeric(14, 2) NOT NULL CHECK (amount > 0),
    source          varchar(8)     NOT NULL CHECK (source IN ('api', 'webhook')),
    reason          varchar(200),
    idempotency_key varchar(255),
    fingerprint     varchar(64),
    entry_id        varchar(40)    NOT NULL,
    created_at      timestamptz    NOT NULL,
    PRIMARY KEY (tenant_id, env, stripe_id, kind),
    UNIQUE (tenant_id, env, load_id, idempotency_key)
);
CREATE INDEX IF NOT EXISTS ix_loyalty_wallet_refunds_load ON loyalty_wallet_refunds (tenant_id, env, load_id);
