-- Loyalty & wallet: members with cached balances, one immutable ledger for points, stored value and gift cards,
-- peer transfers (two idempotent steps), wallet loads (Stripe PaymentIntents), gift cards and referrals.
-- The wallet grain of a member (and the grain of a gift card) is the only writer of its balance row and ledger
-- entries; each change writes the ledger row and the balance row in one transaction, so
-- SUM(ledger deltas of an account) = its balance at every commit.

CREATE TABLE IF NOT EXISTS loyalty_programs
(
    tenant_id  varchar(40) NOT NULL REFERENCES tenants (tenant_id),
    env        varchar(4)  NOT NULL CHECK (env IN ('live', 'test')),
    rules      jsonb       NOT NULL,
    version    integer     NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, env)
);

CREATE TABLE IF NOT EXISTS loyalty_members
(
    tenant_id             varchar(40)    NOT NULL REFERENCES tenants (tenant_id),
    env                   varchar(4)     NOT NULL CHECK (env IN ('live', 'test')),
    member_id             varchar(40)    NOT NULL,
    name                  varchar(200)   NOT NULL,
    phone                 varchar(20)    NOT NULL,
    email                 varchar(254),
    location_id           varchar(40),
    qr_token              varchar(64)    NOT NULL,
    referred_by           varchar(40),
    points_balance        bigint         NOT NULL DEFAULT 0,
    lifetime_points       bigint         NOT NULL DEFAULT 0,
    wallet_balance        numeric(14, 2) NOT NULL DEFAULT 0,
    tier                  varchar(40)    NOT NULL,
    streak_days           integer        NOT NULL DEFAULT 0,
    last_checkin_date     date,
    checkins_total        integer        NOT NULL DEFAULT 0,
    badges                jsonb          NOT NULL DEFAULT '[]',
    first_purchase_at     timestamptz,
    last_activity_at      timestamptz,
    auto_reload_threshold numeric(14, 2),
    auto_reload_amount    numeric(14, 2),
    payment_method_id     varchar(255),
    version               bigint         NOT NULL DEFAULT 0,
    created_at            timestamptz    NOT NULL,
    updated_at            timestamptz    NOT NULL,
    PRIMARY KEY (tenant_id, env, member_id),
    UNIQUE (tenant_id, env, phone),
    UNIQUE (tenant_id, env, qr_token)
);
CREATE INDEX IF NOT EXISTS ix_loyalty_members_email ON loyalty_members (tenant_id, env, lower(email));
CREATE INDEX IF NOT EXISTS ix_loyalty_members_name ON loyalty_members (tenant_id, env, lower(name));
CREATE INDEX IF NOT EXISTS ix_loyalty_members_location ON loyalty_members (tenant_id, env, location_id);
CREATE INDEX IF NOT EXISTS ix_loyalty_members_activity ON loyalty_members (last_activity_at) WHERE points_balance > 0;

-- account_id is the member (mem_…) or the gift card (gft_…) whose balance the entry changes.
CREATE TABLE IF NOT EXISTS loyalty_ledger
(
    tenant_id       varchar(40)    NOT NULL REFERENCES tenants (tenant_id),
    env             varchar(4)     NOT NULL CHECK (env IN ('live', 'test')),
    member_id       varchar(40)    NOT NULL,
    entry_id        varchar(40)    NOT NULL,
    seq             bigint         NOT NULL,
    kind            varchar(30)    NOT NULL,
    points_delta    bigint         NOT NULL DEFAULT 0,
    amount_delta    numeric(14, 2) NOT NULL DEFAULT 0,
    points_after    bigint         NOT NULL,
    amount_after    numeric(14, 2) NOT NULL,
    idempotency_key varchar(255)   NOT NULL,
    fingerprint     varchar(64)    NOT NULL,
    reference       varchar(200),
    location_id     varchar(40),
    description     varchar(500),
    result          jsonb          NOT NULL,
    created_at      timestamptz    NOT NULL,
    PRIMARY KEY (tenant_id, env, entry_id),
    UNIQUE (tenant_id, env, member_id, idempotency_key),
    UNIQUE (tenant_id, env, member_id, seq)
);
CREATE INDEX IF NOT EXISTS ix_loyalty_ledger_location ON loyalty_ledger (tenant_id, env, location_id, created_at);

CREATE TABLE IF NOT EXISTS loyalty_transfers
(
    tenant_id       varchar(40)    NOT NULL REFERENCES tenants (tenant_id),
    env             varchar(4)     NOT NULL CHECK (env IN ('live', 'test')),
    transfer_id     varchar(40)    NOT NULL,
    idempotency_key varchar(255)   NOT NULL,
    kind            varchar(20)    NOT NULL CHECK (kind IN ('member', 'gift_card')),
    from_account    varchar(40)    NOT NULL,
    to_account      varchar(40)    NOT NULL,
    points          bigint         NOT NULL DEFAULT 0,
    amount          numeric(14, 2) NOT NULL DEFAULT 0,
    note            varchar(500),
    status          varchar(12)    NOT NULL CHECK (status IN ('pending', 'debited', 'completed', 'failed')),
    failure_code    varchar(40),
    failure_message varchar(500),
    created_at      timestamptz    NOT NULL,
    updated_at      timestamptz    NOT NULL,
    PRIMARY KEY (tenant_id, env, transfer_id),
    UNIQUE (tenant_id, env, idempotency_key)
);
CREATE INDEX IF NOT EXISTS ix_loyalty_transfers_open ON loyalty_transfers (updated_at) WHERE status IN ('pending', 'debited');

CREATE TABLE IF NOT EXISTS loyalty_wallet_loads
(
    tenant_id         varchar(40)    NOT NULL REFERENCES tenants (tenant_id),
    env               varchar(4)     NOT NULL CHECK (env IN ('live', 'test')),
    load_id           varchar(40)    NOT NULL,
    member_id         varchar(40)    NOT NULL,
    amount            numeric(14, 2) NOT NULL CHECK (amount > 0),
    currency          varchar(3)     NOT NULL DEFAULT 'usd',
    payment_method_id varchar(255),
    auto_reload       boolean        NOT NULL DEFAULT false,
    idempotency_key   varchar(255)   NOT NULL,
    payment_intent_id varchar(255),
    status            varchar(12)    NOT NULL CHECK (status IN ('pending', 'processing', 'succeeded', 'failed')),
    failure_code      varchar(60),
    failure_message   varchar(500),
    created_at        timestamptz    NOT NULL,
    updated_at        timestamptz    NOT NULL,
    PRIMARY KEY (tenant_id, env, load_id),
    UNIQUE (tenant_id, env, member_id, idempotency_key)
);
-- At most one automatic reload in flight per member: "exactly one reload is started".
CREATE UNIQUE INDEX IF NOT EXISTS ux_loyalty_wallet_loads_auto ON loyalty_wallet_loads (tenant_id, env, member_id)
    WHERE auto_reload AND status IN ('pending', 'processing');
CREATE UNIQUE INDEX IF NOT EXISTS ux_loyalty_wallet_loads_intent ON loyalty_wallet_loads (payment_intent_id)
    WHERE payment_intent_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS ix_loyalty_wallet_loads_open ON loyalty_wallet_loads (updated_at) WHERE status IN ('pending', 'processing');
CREATE INDEX IF NOT EXISTS ix_loyalty_wallet_loads_day ON loyalty_wallet_loads (tenant_id, env, member_id, created_at);

CREATE TABLE IF NOT EXISTS loyalty_gift_cards
(
    tenant_id       varchar(40)    NOT NULL REFERENCES tenants (tenant_id),
    env             varchar(4)     NOT NULL CHECK (env IN ('live', 'test')),
    gift_card_id    varchar(40)    NOT NULL,
    code_hash       varchar(64)    NOT NULL,
    code_last4      varchar(4)     NOT NULL,
    initial_amount  numeric(14, 2) NOT NULL CHECK (initial_amount > 0),
    balance         numeric(14, 2) NOT NULL,
    status          varchar(10)    NOT NULL CHECK (status IN ('pending', 'active', 'redeemed', 'void')),
    recipient_name  varchar(200),
    recipient_phone varchar(20),
    recipient_email varchar(254),
    message         varchar(500),
    delivery_status varchar(20)    NOT NULL DEFAULT 'none',
    sms_message_id  varchar(40),
    version         bigint         NOT NULL DEFAULT 0,
    created_at      timestamptz    NOT NULL,
    updated_at      timestamptz    NOT NULL,
    PRIMARY KEY (tenant_id, env, gift_card_id),
    UNIQUE (code_hash)
);

CREATE TABLE IF NOT EXISTS loyalty_referrals
(
    tenant_id          varchar(40) NOT NULL REFERENCES tenants (tenant_id),
    env                varchar(4)  NOT NULL CHECK (env IN ('live', 'test')),
    referral_id        varchar(40) NOT NULL,
    referrer_member_id varchar(40) NOT NULL,
    channel            varchar(10) NOT NULL CHECK (channel IN ('sms', 'email', 'link')),
    recipient_phone    varchar(20),
    referred_member_id varchar(40),
    status             varchar(12) NOT NULL CHECK (status IN ('sent', 'joined', 'completed', 'rewarded')),
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, env, referral_id),
    UNIQUE (tenant_id, env, referred_member_id)
);
CREATE INDEX IF NOT EXISTS ix_loyalty_referrals_due ON loyalty_referrals (updated_at) WHERE status = 'completed';
