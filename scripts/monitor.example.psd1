# MONITOR session configuration for scripts\run_monitor.ps1 (data only). The MONITOR has no API
# credentials and its own database; it shares only CONTROL_DIR with the LIVE process.
@{
    STATE_DB_PATH = 'C:\btcbot\monitor\state.db'
    CONTROL_DIR   = 'C:\btcbot\control'
    EXCHANGE      = 'btcturk'
    LIVE_TRADING  = 'false'
    SAFE_MODE     = 'true'
    KILL_SWITCH   = 'true'
    SYMBOLS       = 'BTCTRY,ETHTRY'
    LOG_LEVEL     = 'WARNING'
}
