-- 0003 account: what the account holds beyond the bot's books, and the orders it did not place.
-- See btcbot.domain.account: per asset, exchange balance = ledger amount + outside movements.

-- Every change to the account that is not a bot fill: transfers, the legs of manual trades,
-- the holdings outside the books when they were seeded, differences the operator accepted.
-- delta is the signed change to the account's balance of asset. A 'books' movement is a
-- capital flow of the ledger's cash, booked once (state 'pending' -> 'applied' in the ledger's
-- commit); 'preseed' marks one already inside the balances the books were seeded from.
CREATE TABLE account_movements (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    movement_id         TEXT NOT NULL UNIQUE,
    kind                TEXT NOT NULL CHECK (kind IN (
                            'seed', 'deposit', 'withdrawal', 'manual_trade', 'accepted')),
    asset               TEXT NOT NULL,
    delta               TEXT NOT NULL,
    target              TEXT NOT NULL CHECK (target IN ('books', 'outside')),
    at                  TEXT NOT NULL,
    detail              TEXT NOT NULL,
    state               TEXT NOT NULL CHECK (state IN ('pending', 'applied', 'preseed')),
    process_role        TEXT NOT NULL,
    process_instance_id TEXT NOT NULL,
    cycle_id            TEXT,
    config_hash         TEXT NOT NULL
) STRICT;
CREATE INDEX account_movements_by_state ON account_movements (state, target);
CREATE TRIGGER account_movements_no_delete BEFORE DELETE ON account_movements
BEGIN SELECT RAISE(ABORT, 'account movements are never deleted'); END;
CREATE TRIGGER account_movements_only_state BEFORE UPDATE ON account_movements
WHEN NEW.movement_id IS NOT OLD.movement_id OR NEW.delta IS NOT OLD.delta
    OR NEW.asset IS NOT OLD.asset OR NEW.target IS NOT OLD.target
BEGIN SELECT RAISE(ABORT, 'only the state of an account movement changes'); END;

-- Orders on the account whose client id is not the bot's: never adopted, never cancelled,
-- their trades never booked as the bot's; inspect lists them and the MONITOR warns.
CREATE TABLE foreign_orders (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    exchange_order_id   INTEGER NOT NULL UNIQUE,
    exchange_client_id  TEXT,
    symbol              TEXT NOT NULL,
    side                TEXT NOT NULL,
    method              TEXT NOT NULL,
    price               TEXT,
    quantity            TEXT NOT NULL,
    status              TEXT NOT NULL,
    first_seen          TEXT NOT NULL,
    last_seen           TEXT NOT NULL,
    process_role        TEXT NOT NULL,
    process_instance_id TEXT NOT NULL,
    cycle_id            TEXT,
    config_hash         TEXT NOT NULL
) STRICT;

-- Why the trading state changed, typed (btcbot.domain.trading.StateCause): inspect and the
-- MONITOR tell a books difference from a risk halt without parsing the reason's words.
ALTER TABLE trading_state_changes ADD COLUMN cause TEXT NOT NULL DEFAULT 'risk'
    CHECK (cause IN (
        'risk', 'books_differ', 'fill_quarantined', 'order_quarantined', 'operator'));
