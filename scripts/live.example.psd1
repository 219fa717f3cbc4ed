# LIVE session configuration for scripts\run_live.ps1 (data only; copy, edit, keep out of git).
# API credentials are never stored here: run_live.ps1 asks for them when LIVE_TRADING is 'true'.
@{
    STATE_DB_PATH    = 'C:\btcbot\live\state.db'
    CONTROL_DIR      = 'C:\btcbot\control'
    EXCHANGE         = 'sim'
    LIVE_TRADING     = 'false'
    SAFE_MODE        = 'false'
    KILL_SWITCH      = 'false'
    SYMBOLS          = 'BTCTRY,ETHTRY'
    CYCLE_SECONDS    = '60'
    METRICS_BIND     = '127.0.0.1'
    METRICS_PORT     = '9108'
    LOG_LEVEL        = 'INFO'
    # Modes (docs/CONFIGURATION.md): as shipped this is sim mode, the emulator inside the LIVE
    # process (no credentials, no network; SIM_DATA names other candles).
    # Paper trading on BtcTurk's public data: EXCHANGE = 'btcturk' (LIVE_TRADING stays 'false').
    # Real trading: EXCHANGE = 'btcturk'; LIVE_TRADING = 'true'; LIVE_TRADING_ACK = 'I_UNDERSTAND'
}
