-- Orleans ADO.NET provider contract on PostgreSQL: the platform's own tables and the query rows that the
-- clustering, grain-storage and reminder providers load at start-up (table OrleansQuery, read by key).
-- Only query keys, @Parameter names and result column names are fixed by the providers; everything else is ours.

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  varchar(64) NOT NULL PRIMARY KEY,
    QueryText text        NOT NULL
);

-- ---------------------------------------------------------------------------------------------------------
-- Grain state
-- ---------------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS orleans_grain_state
(
    service_id      varchar(150) NOT NULL,
    grain_type_hash integer      NOT NULL,
    grain_type      varchar(512) NOT NULL,
    grain_id_hash   integer      NOT NULL,
    grain_id_n0     bigint       NOT NULL,
    grain_id_n1     bigint       NOT NULL,
    -- '' stands for "no string part"; every platform key has one.
    grain_id_ext    varchar(512) NOT NULL DEFAULT '',
    payload         bytea,
    version         integer      NOT NULL,
    modified_at     timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (service_id, grain_type_hash, grain_id_hash, grain_type, grain_id_n0, grain_id_n1, grain_id_ext)
);

-- Returns the new version, or the expected version / NULL unchanged when the caller's view is stale
-- (the provider turns "same version back" into InconsistentStateException).
CREATE OR REPLACE FUNCTION cf_orleans_write_state(
    p_service_id varchar, p_type_hash integer, p_type varchar, p_id_hash integer,
    p_n0 bigint, p_n1 bigint, p_ext varchar, p_expected integer, p_payload bytea)
RETURNS integer LANGUAGE plpgsql AS $fn$
DECLARE
    v_new integer;
BEGIN
    IF p_expected IS NULL THEN
        INSERT INTO orleans_grain_state (service_id, grain_type_hash, grain_type, grain_id_hash, grain_id_n0,
                                         grain_id_n1, grain_id_ext, payload, version)
        VALUES (p_service_id, p_type_hash, p_type, p_id_hash, p_n0, p_n1, coalesce(p_ext, ''), p_payload, 1)
        ON CONFLICT DO NOTHING
        RETURNING version INTO v_new;
        RETURN v_new;
    END IF;

    UPDATE orleans_grain_state
       SET payload = p_payload, version = version + 1, modified_at = now()
     WHERE service_id = p_service_id AND grain_type_hash = p_type_hash AND grain_id_hash = p_id_hash
       AND grain_type = p_type AND grain_id_n0 = p_n0 AND grain_id_n1 = p_n1
       AND grain_id_ext = coalesce(p_ext, '') AND version = p_expected
    RETURNING version INTO v_new;
    RETURN coalesce(v_new, p_expected);
END
$fn$;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('ReadFromStorageKey', $q$
SELECT payload AS "PayloadBinary", version AS "Version"
  FROM orleans_grain_state
 WHERE service_id = @ServiceId AND grain_type_hash = @GrainTypeHash AND grain_id_hash = @GrainIdHash
   AND grain_type = @GrainTypeString AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
   AND grain_id_ext = coalesce(@GrainIdExtensionString::varchar, '')
$q$),
('WriteToStorageKey', $q$
SELECT cf_orleans_write_state(@ServiceId, @GrainTypeHash, @GrainTypeString, @GrainIdHash, @GrainIdN0, @GrainIdN1,
                              @GrainIdExtensionString::varchar, @GrainStateVersion::integer, @PayloadBinary::bytea)
       AS "NewGrainStateVersion"
$q$),
('ClearStorageKey', $q$
UPDATE orleans_grain_state
   SET payload = NULL, version = version + 1, modified_at = now()
 WHERE service_id = @ServiceId AND grain_type_hash = @GrainTypeHash AND grain_id_hash = @GrainIdHash
   AND grain_type = @GrainTypeString AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
   AND grain_id_ext = coalesce(@GrainIdExtensionString::varchar, '')
   AND version = @GrainStateVersion::integer
RETURNING version AS "NewGrainStateVersion"
$q$),
('DeleteStorageKey', $q$
DELETE FROM orleans_grain_state
 WHERE service_id = @ServiceId AND grain_type_hash = @GrainTypeHash AND grain_id_hash = @GrainIdHash
   AND grain_type = @GrainTypeString AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
   AND grain_id_ext = coalesce(@GrainIdExtensionString::varchar, '')
   AND version = @GrainStateVersion::integer
RETURNING 0 AS "NewGrainStateVersion"
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

-- ---------------------------------------------------------------------------------------------------------
-- Cluster membership: every change bumps the deployment's version in the same transaction.
-- ---------------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS orleans_membership_version
(
    deployment_id varchar(150) NOT NULL PRIMARY KEY,
    version       integer      NOT NULL DEFAULT 0,
    changed_at    timestamptz  NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS orleans_membership
(
    deployment_id   varchar(150)  NOT NULL REFERENCES orleans_membership_version (deployment_id) ON DELETE CASCADE,
    address         varchar(45)   NOT NULL,
    port            integer       NOT NULL,
    generation      integer       NOT NULL,
    silo_name       varchar(150)  NOT NULL,
    host_name       varchar(150)  NOT NULL,
    status          integer       NOT NULL,
    proxy_port      integer,
    suspect_times   varchar(8000),
    start_time      timestamptz   NOT NULL,
    i_am_alive_time timestamptz   NOT NULL,
    PRIMARY KEY (deployment_id, address, port, generation)
);

CREATE OR REPLACE FUNCTION cf_orleans_insert_member(
    p_deployment varchar, p_address varchar, p_port integer, p_generation integer, p_silo_name varchar,
    p_host_name varchar, p_status integer, p_proxy_port integer, p_start timestamptz, p_alive timestamptz,
    p_version integer)
RETURNS boolean LANGUAGE plpgsql AS $fn$
BEGIN
    BEGIN
        UPDATE orleans_membership_version SET version = version + 1, changed_at = now()
         WHERE deployment_id = p_deployment AND version = p_version;
        IF NOT FOUND THEN RETURN false; END IF;
        INSERT INTO orleans_membership (deployment_id, address, port, generation, silo_name, host_name, status,
                                        proxy_port, start_time, i_am_alive_time)
        VALUES (p_deployment, p_address, p_port, p_generation, p_silo_name, p_host_name, p_status, p_proxy_port,
                p_start, p_alive)
        ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN RAISE EXCEPTION 'cf_member_exists'; END IF;
        RETURN true;
    EXCEPTION WHEN raise_exception THEN
        RETURN false; -- the version bump above is rolled back with the block
    END;
END
$fn$;

CREATE OR REPLACE FUNCTION cf_orleans_update_member(
    p_deployment varchar, p_address varchar, p_port integer, p_generation integer, p_status integer,
    p_suspect_times varchar, p_alive timestamptz, p_version integer)
RETURNS boolean LANGUAGE plpgsql AS $fn$
BEGIN
    BEGIN
        UPDATE orleans_membership_version SET version = version + 1, changed_at = now()
         WHERE deployment_id = p_deployment AND version = p_version;
        IF NOT FOUND THEN RETURN false; END IF;
        UPDATE orleans_membership
           SET status = p_status, suspect_times = p_suspect_times, i_am_alive_time = p_alive
         WHERE deployment_id = p_deployment AND address = p_address AND port = p_port AND generation = p_generation;
        IF NOT FOUND THEN RAISE EXCEPTION 'cf_member_missing'; END IF;
        RETURN true;
    EXCEPTION WHEN raise_exception THEN
        RETURN false;
    END;
END
$fn$;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('InsertMembershipVersionKey', $q$
WITH ins AS (
    INSERT INTO orleans_membership_version (deployment_id) VALUES (@DeploymentId)
    ON CONFLICT DO NOTHING RETURNING 1)
SELECT EXISTS (SELECT 1 FROM ins) AS "Inserted"
$q$),
('InsertMembershipKey', $q$
SELECT cf_orleans_insert_member(@DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName, @Status,
                                @ProxyPort::integer, @StartTime::timestamptz, @IAmAliveTime::timestamptz,
                                @Version) AS "Inserted"
$q$),
('UpdateMembershipKey', $q$
SELECT cf_orleans_update_member(@DeploymentId, @Address, @Port, @Generation, @Status, @SuspectTimes::varchar,
                                @IAmAliveTime::timestamptz, @Version) AS "Updated"
$q$),
('UpdateIAmAlivetimeKey', $q$
UPDATE orleans_membership SET i_am_alive_time = @IAmAliveTime::timestamptz
 WHERE deployment_id = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation
$q$),
('MembershipReadRowKey', $q$
SELECT v.version AS "Version", m.address AS "Address", m.port AS "Port", m.generation AS "Generation",
       m.silo_name AS "SiloName", m.host_name AS "HostName", m.status AS "Status", m.proxy_port AS "ProxyPort",
       m.suspect_times AS "SuspectTimes", m.start_time AS "StartTime", m.i_am_alive_time AS "IAmAliveTime"
  FROM orleans_membership_version v
  LEFT JOIN orleans_membership m
    ON m.deployment_id = v.deployment_id AND m.address = @Address AND m.port = @Port
   AND m.generation = @Generation
 WHERE v.deployment_id = @DeploymentId
$q$),
('MembershipReadAllKey', $q$
SELECT v.version AS "Version", m.address AS "Address", m.port AS "Port", m.generation AS "Generation",
       m.silo_name AS "SiloName", m.host_name AS "HostName", m.status AS "Status", m.proxy_port AS "ProxyPort",
       m.suspect_times AS "SuspectTimes", m.start_time AS "StartTime", m.i_am_alive_time AS "IAmAliveTime"
  FROM orleans_membership_version v
  LEFT JOIN orleans_membership m ON m.deployment_id = v.deployment_id
 WHERE v.deployment_id = @DeploymentId
$q$),
('GatewaysQueryKey', $q$
SELECT address AS "Address", proxy_port AS "ProxyPort", generation AS "Generation"
  FROM orleans_membership
 WHERE deployment_id = @DeploymentId AND status = @Status AND proxy_port > 0
$q$),
('DeleteMembershipTableEntriesKey', $q$
DELETE FROM orleans_membership_version WHERE deployment_id = @DeploymentId
$q$),
('CleanupDefunctSiloEntriesKey', $q$
DELETE FROM orleans_membership
 WHERE deployment_id = @DeploymentId AND i_am_alive_time < @IAmAliveTime::timestamptz AND status <> 3
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

-- ---------------------------------------------------------------------------------------------------------
-- Reminders
-- ---------------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS orleans_reminders
(
    service_id    varchar(150) NOT NULL,
    grain_id      varchar(150) NOT NULL,
    reminder_name varchar(150) NOT NULL,
    start_time    timestamptz  NOT NULL,
    period        bigint       NOT NULL,
    grain_hash    integer      NOT NULL,
    version       integer      NOT NULL,
    PRIMARY KEY (service_id, grain_id, reminder_name)
);
CREATE INDEX IF NOT EXISTS ix_orleans_reminders_hash ON orleans_reminders (service_id, grain_hash);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('UpsertReminderRowKey', $q$
INSERT INTO orleans_reminders (service_id, grain_id, reminder_name, start_time, period, grain_hash, version)
VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime::timestamptz, @Period::bigint, @GrainHash, 0)
ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE
   SET start_time = excluded.start_time, period = excluded.period, grain_hash = excluded.grain_hash,
       version = orleans_reminders.version + 1
RETURNING version AS "Version"
$q$),
('ReadReminderRowsKey', $q$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime", period AS "Period",
       version AS "Version"
  FROM orleans_reminders WHERE service_id = @ServiceId AND grain_id = @GrainId
$q$),
('ReadReminderRowKey', $q$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime", period AS "Period",
       version AS "Version"
  FROM orleans_reminders WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName
$q$),
('ReadRangeRows1Key', $q$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime", period AS "Period",
       version AS "Version"
  FROM orleans_reminders
 WHERE service_id = @ServiceId AND grain_hash > @BeginHash AND grain_hash <= @EndHash
$q$),
('ReadRangeRows2Key', $q$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime", period AS "Period",
       version AS "Version"
  FROM orleans_reminders
 WHERE service_id = @ServiceId AND (grain_hash > @BeginHash OR grain_hash <= @EndHash)
$q$),
('DeleteReminderRowKey', $q$
WITH del AS (
    DELETE FROM orleans_reminders
     WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName
       AND version = @Version::integer RETURNING 1)
SELECT EXISTS (SELECT 1 FROM del) AS "Deleted"
$q$),
('DeleteReminderRowsKey', $q$
DELETE FROM orleans_reminders WHERE service_id = @ServiceId
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;
