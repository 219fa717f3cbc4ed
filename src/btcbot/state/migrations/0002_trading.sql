-- 0002 trading: orders and their history, fills, cycles, signals, risk decisions, ledger
-- snapshots and the persistent trading state (LIVE database). Money and quantities are TEXT
-- holding a Decimal's exact string; times are ISO 8601 UTC text; every row carries the four
-- audit columns (process_role, process_instance_id, cycle_id, config_hash).

-- One row per order the bot placed or adopted. client_order_id is the local key: the id sent as
-- newOrderClientId for the bot's own orders, 'adopted-<exchange id>' for adopted ones.
CREATE TABLE orders (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    client_order_id     TEXT NOT NULL UNIQUE CHECK (length(client_order_id) <= 50),
    origin              TEXT NOT NULL CHECK (origin IN ('bot', 'adopted')),
    intent_cycle_id     TEXT,
    intent_index        INTEGER,
    exchange_order_id   INTEGER UNIQUE,
    exchange_client_id  TEXT,
    symbol              TEXT NOT NULL,
    side                TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
    method              TEXT NOT NULL,
    price               TEXT,
    quantity            TEXT NOT NULL,
    filled_quantity     TEXT NOT NULL DEFAULT '0',
    state               TEXT NOT NULL CHECK (state IN (
                            'pending_submit', 'submitted', 'open', 'partially_filled',
                            'cancel_requested', 'filled', 'canceled', 'rejected', 'unknown',
                            'not_placed')),
    reject_code         TEXT,
    reject_reason       TEXT,
    absent_checks       INTEGER NOT NULL DEFAULT 0,
    cancel_requested_at TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    process_role        TEXT NOT NULL,
    process_instance_id TEXT NOT NULL,
    cycle_id            TEXT,
    config_hash         TEXT NOT NULL
) STRICT;
CREATE INDEX orders_by_state ON orders (state, symbol);

-- Every state change of every order, append-only.
CREATE TABLE order_events (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    client_order_id     TEXT NOT NULL REFERENCES orders (client_order_id),
    at                  TEXT NOT NULL,
    event               TEXT NOT NULL,
    from_state          TEXT,
    to_state            TEXT NOT NULL,
    detail              TEXT NOT NULL,
    process_role        TEXT NOT NULL,
    process_instance_id TEXT NOT NULL,
    cycle_id            TEXT,
    config_hash         TEXT NOT NULL
) STRICT;
CREATE INDEX order_events_by_order ON order_events (client_order_id, id);
CREATE TRIGGER order_events_no_update BEFORE UPDATE ON order_events
BEGIN SELECT RAISE(ABORT, 'order_events is append-only'); END;
CREATE TRIGGER order_events_no_delete BEFORE DELETE ON order_events
BEGIN SELECT RAISE(ABORT, 'order_events is append-only'); END;

-- Our own trades. trade_id UNIQUE is what makes "a fill is recorded once" a database fact;
-- ledger_applied flips once when the ledger has booked it (in the same commit as the ledger).
CREATE TABLE fills (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    trade_id            INTEGER NOT NULL UNIQUE,
    exchange_order_id   INTEGER NOT NULL,
    client_order_id     TEXT,
    symbol              TEXT NOT NULL,
    side                TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
    price               TEXT NOT NULL,
    quantity            TEXT NOT NULL,
    fee                 TEXT NOT NULL,
    tax                 TEXT NOT NULL,
    fee_asset           TEXT NOT NULL,
    traded_at           TEXT NOT NULL,
    ledger_applied      INTEGER NOT NULL DEFAULT 0 CHECK (ledger_applied IN (0, 1)),
    process_role        TEXT NOT NULL,
    process_instance_id TEXT NOT NULL,
    cycle_id            TEXT,
    config_hash         TEXT NOT NULL
) STRICT;
CREATE INDEX fills_by_order ON fills (exchange_order_id);
CREATE INDEX fills_unapplied ON fills (ledger_applied, traded_at);
CREATE TRIGGER fills_no_delete BEFORE DELETE ON fills
BEGIN SELECT RAISE(ABORT, 'fills are never deleted'); END;
CREATE TRIGGER fills_only_mark_applied BEFORE UPDATE ON fills
WHEN NEW.trade_id IS NOT OLD.trade_id OR NEW.price IS NOT OLD.price
    OR NEW.quantity IS NOT OLD.quantity OR NEW.fee IS NOT OLD.fee OR NEW.tax IS NOT OLD.tax
    OR NEW.side IS NOT OLD.side OR (OLD.ledger_applied = 1 AND NEW.ledger_applied = 0)
BEGIN SELECT RAISE(ABORT, 'a fill only ever changes from unapplied to applied'); END;

-- One row per LIVE cycle.
CREATE TABLE cycles (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    cycle_key           TEXT NOT NULL UNIQUE,
    number              INTEGER NOT NULL,
    started_at          TEXT NOT NULL,
    finished_at         TEXT,
    outcome             TEXT,
    error               TEXT,
    orders_submitted    INTEGER NOT NULL DEFAULT 0,
    fills               INTEGER NOT NULL DEFAULT 0,
    process_role        TEXT NOT NULL,
    process_instance_id TEXT NOT NULL,
    cycle_id            TEXT,
    config_hash         TEXT NOT NULL
) STRICT;

-- Strategy signals, as the strategy produced them.
CREATE TABLE signals (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    symbol              TEXT NOT NULL,
    side                TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
    size_hint           TEXT NOT NULL,
    reason              TEXT NOT NULL,
    strategy            TEXT NOT NULL,
    as_of               TEXT NOT NULL,
    process_role        TEXT NOT NULL,
    process_instance_id TEXT NOT NULL,
    cycle_id            TEXT,
    config_hash         TEXT NOT NULL
) STRICT;
CREATE INDEX signals_by_cycle ON signals (cycle_id);

-- What risk made of each signal: approved (with the order), rejected (typed reason) or dust.
CREATE TABLE risk_decisions (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    decided_at          TEXT NOT NULL,
    symbol              TEXT NOT NULL,
    side                TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
    outcome             TEXT NOT NULL CHECK (outcome IN ('approved', 'rejected', 'dust')),
    reason              TEXT,
    detail              TEXT NOT NULL,
    intent_index        INTEGER,
    price               TEXT,
    quantity            TEXT,
    process_role        TEXT NOT NULL,
    process_instance_id TEXT NOT NULL,
    cycle_id            TEXT,
    config_hash         TEXT NOT NULL
) STRICT;
CREATE INDEX risk_decisions_by_cycle ON risk_decisions (cycle_id);

-- The ledger itself changes only when fills are booked, so its full JSON (Decimals as strings) is
-- appended only then (fills_applied = how many trade ids it holds); the per-cycle figures and the
-- equity watermarks (peak, day open), which move every cycle, go to the small valuations rows.
CREATE TABLE ledger_snapshots (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    taken_at            TEXT NOT NULL,
    fills_applied       INTEGER NOT NULL,
    snapshot            TEXT NOT NULL CHECK (json_valid(snapshot)),
    process_role        TEXT NOT NULL,
    process_instance_id TEXT NOT NULL,
    cycle_id            TEXT,
    config_hash         TEXT NOT NULL
) STRICT;

CREATE TABLE valuations (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    taken_at            TEXT NOT NULL,
    watermarks          TEXT NOT NULL CHECK (json_valid(watermarks)),
    quote               TEXT,
    equity              TEXT,
    cash                TEXT,
    realized_pnl        TEXT,
    unrealized_pnl      TEXT,
    fees                TEXT,
    tax                 TEXT,
    peak_equity         TEXT,
    drawdown_pct        TEXT,
    daily_pnl           TEXT,
    exposure            TEXT,
    process_role        TEXT NOT NULL,
    process_instance_id TEXT NOT NULL,
    cycle_id            TEXT,
    config_hash         TEXT NOT NULL
) STRICT;

CREATE TABLE position_snapshots (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    ledger_snapshot_id  INTEGER NOT NULL REFERENCES ledger_snapshots (id),
    symbol              TEXT NOT NULL,
    quantity            TEXT NOT NULL,
    cost_basis          TEXT NOT NULL,
    realized_pnl        TEXT NOT NULL,
    fees                TEXT NOT NULL,
    tax                 TEXT NOT NULL,
    process_role        TEXT NOT NULL,
    process_instance_id TEXT NOT NULL,
    cycle_id            TEXT,
    config_hash         TEXT NOT NULL,
    UNIQUE (ledger_snapshot_id, symbol)
) STRICT;

-- Trading state history (ACTIVE / REDUCING / HALTED): the newest row is the current state, so
-- a daily-loss halt survives a restart; no row means ACTIVE.
CREATE TABLE trading_state_changes (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    state               TEXT NOT NULL CHECK (state IN ('active', 'reducing', 'halted')),
    reason              TEXT NOT NULL,
    changed_at          TEXT NOT NULL,
    process_role        TEXT NOT NULL,
    process_instance_id TEXT NOT NULL,
    cycle_id            TEXT,
    config_hash         TEXT NOT NULL
) STRICT;
CREATE TRIGGER trading_state_changes_no_update BEFORE UPDATE ON trading_state_changes
BEGIN SELECT RAISE(ABORT, 'trading_state_changes is append-only'); END;
CREATE TRIGGER trading_state_changes_no_delete BEFORE DELETE ON trading_state_changes
BEGIN SELECT RAISE(ABORT, 'trading_state_changes is append-only'); END;
