-- Calendar, part two: seats, per-location booking rules, secret feed tokens, cancellation time.
--
-- Seats: a provider has 1–50 seats; every appointment occupies a set of seat numbers (seat_set, chosen by the
-- provider's grain, 0-based). The exclusion constraint now refuses two live blocks of one provider that overlap in
-- time AND share a seat. A provider with one seat has every appointment on seat 0, so for it nothing changes:
-- any overlap is refused as before. The trigger keeps seat numbers below the provider's seat count and the number
-- of seats equal to the party size, so the database alone guarantees that a provider is never over-booked.
ALTER TABLE calendar_providers ADD COLUMN IF NOT EXISTS seats smallint NOT NULL DEFAULT 1;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'calendar_providers_seats_range') THEN
        ALTER TABLE calendar_providers ADD CONSTRAINT calendar_providers_seats_range CHECK (seats BETWEEN 1 AND 50);
    END IF;
END $$;

ALTER TABLE appointments ADD COLUMN IF NOT EXISTS party_size smallint NOT NULL DEFAULT 1;
ALTER TABLE appointments ADD COLUMN IF NOT EXISTS seat_set int4multirange NOT NULL DEFAULT '{[0,1)}';
ALTER TABLE appointments ADD COLUMN IF NOT EXISTS cancelled_at timestamptz;

ALTER TABLE appointments DROP CONSTRAINT IF EXISTS appointments_no_overlap;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'appointments_no_seat_overlap') THEN
        ALTER TABLE appointments ADD CONSTRAINT appointments_no_seat_overlap EXCLUDE USING gist (
            tenant_id WITH =, env WITH =, provider_id WITH =,
            tstzrange(block_start, block_end, '[)') WITH &&,
            seat_set WITH &&)
            WHERE (status IN ('held', 'booked') AND NOT parked);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'appointments_party_size_range') THEN
        ALTER TABLE appointments ADD CONSTRAINT appointments_party_size_range CHECK (party_size BETWEEN 1 AND 50);
    END IF;
END $$;

CREATE OR REPLACE FUNCTION appointments_check_seats() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    capacity smallint;
    taken    integer;
BEGIN
    SELECT seats INTO capacity FROM calendar_providers
     WHERE tenant_id = NEW.tenant_id AND env = NEW.env AND provider_id = NEW.provider_id;
    SELECT coalesce(sum(upper(r) - lower(r)), 0) INTO taken FROM unnest(NEW.seat_set) AS r;
    IF lower(NEW.seat_set) < 0 OR upper(NEW.seat_set) > coalesce(capacity, 1) OR taken <> NEW.party_size THEN
        RAISE EXCEPTION 'seat set % does not fit party % on provider % (% seats)', NEW.seat_set, NEW.party_size, NEW.provider_id, capacity
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS appointments_seats ON appointments;
CREATE TRIGGER appointments_seats BEFORE INSERT OR UPDATE OF provider_id, seat_set, party_size ON appointments
    FOR EACH ROW EXECUTE FUNCTION appointments_check_seats();

-- Booking rules per location (absent row = defaults: no minimum notice, 365 days ahead).
CREATE TABLE IF NOT EXISTS calendar_settings
(
    tenant_id          varchar(40) NOT NULL REFERENCES tenants (tenant_id),
    env                varchar(4)  NOT NULL CHECK (env IN ('live', 'test')),
    location_id        varchar(40) NOT NULL,
    min_notice_minutes integer     NOT NULL DEFAULT 0 CHECK (min_notice_minutes BETWEEN 0 AND 43200),
    max_advance_days   integer     NOT NULL DEFAULT 365 CHECK (max_advance_days BETWEEN 1 AND 730),
    updated_at         timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, env, location_id)
);

-- Secret iCalendar feed URLs: only the SHA-256 of the token is stored; one live token per provider (rotated on issue).
CREATE TABLE IF NOT EXISTS calendar_feed_tokens
(
    token_hash  varchar(64) NOT NULL PRIMARY KEY,
    tenant_id   varchar(40) NOT NULL REFERENCES tenants (tenant_id),
    env         varchar(4)  NOT NULL CHECK (env IN ('live', 'test')),
    provider_id varchar(40) NOT NULL,
    created_at  timestamptz NOT NULL,
    UNIQUE (tenant_id, env, provider_id)
);
