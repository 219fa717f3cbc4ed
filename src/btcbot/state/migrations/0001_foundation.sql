-- 0001 foundation: the role tag, the append-only audit trail and the control-plane records.
-- Every table that btcbot writes carries the four audit columns
-- (process_role, process_instance_id, cycle_id, config_hash).

CREATE TABLE db_meta (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    db_role             TEXT NOT NULL CHECK (db_role IN ('live', 'monitor')),
    db_uuid             TEXT NOT NULL,
    created_by          TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    process_role        TEXT NOT NULL,
    process_instance_id TEXT NOT NULL,
    cycle_id            TEXT,
    config_hash         TEXT NOT NULL
) STRICT;

-- The tag is written once by `btcbot db init`; nothing may change or remove it afterwards.
-- The INSERT trigger also stops INSERT OR REPLACE from swapping the row.
CREATE TRIGGER db_meta_no_second_row BEFORE INSERT ON db_meta
WHEN EXISTS (SELECT 1 FROM db_meta)
BEGIN SELECT RAISE(ABORT, 'db_meta is immutable: it is written once by btcbot db init'); END;
CREATE TRIGGER db_meta_no_update BEFORE UPDATE ON db_meta
BEGIN SELECT RAISE(ABORT, 'db_meta is immutable: it is written once by btcbot db init'); END;
CREATE TRIGGER db_meta_no_delete BEFORE DELETE ON db_meta
BEGIN SELECT RAISE(ABORT, 'db_meta is immutable: it is written once by btcbot db init'); END;

CREATE TABLE audit_events (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    event               TEXT NOT NULL,
    occurred_at         TEXT NOT NULL,
    actor               TEXT NOT NULL,
    detail              TEXT NOT NULL CHECK (json_valid(detail)),
    process_role        TEXT NOT NULL,
    process_instance_id TEXT NOT NULL,
    cycle_id            TEXT,
    config_hash         TEXT NOT NULL
) STRICT;
CREATE INDEX audit_events_by_event ON audit_events (event, id);

CREATE TRIGGER audit_events_no_replace BEFORE INSERT ON audit_events
WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;

-- Arming history (LIVE database): the newest row is the current state; absent means disarmed.
CREATE TABLE arming_changes (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    armed               INTEGER NOT NULL CHECK (armed IN (0, 1)),
    reason              TEXT NOT NULL,
    changed_by          TEXT NOT NULL,
    changed_at          TEXT NOT NULL,
    process_role        TEXT NOT NULL,
    process_instance_id TEXT NOT NULL,
    cycle_id            TEXT,
    config_hash         TEXT NOT NULL
) STRICT;

-- Kill-switch engagements and releases seen by this process (kill file written or removed).
CREATE TABLE kill_switch_events (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    engaged             INTEGER NOT NULL CHECK (engaged IN (0, 1)),
    reason              TEXT NOT NULL,
    source              TEXT NOT NULL,
    recorded_by         TEXT NOT NULL,
    recorded_at         TEXT NOT NULL,
    process_role        TEXT NOT NULL,
    process_instance_id TEXT NOT NULL,
    cycle_id            TEXT,
    config_hash         TEXT NOT NULL
) STRICT;

-- Health check results (MONITOR database only).
CREATE TABLE health_snapshots (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    taken_at            TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('ok', 'warning', 'critical', 'unknown')),
    summary             TEXT NOT NULL,
    checks              TEXT NOT NULL CHECK (json_valid(checks)),
    process_role        TEXT NOT NULL,
    process_instance_id TEXT NOT NULL,
    cycle_id            TEXT,
    config_hash         TEXT NOT NULL
) STRICT;
CREATE INDEX health_snapshots_by_time ON health_snapshots (taken_at);
