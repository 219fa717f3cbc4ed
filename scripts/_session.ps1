# Shared by run_live.ps1 and run_monitor.ps1 (dot-sourced): build this session's environment
# from one role's config file and nothing else, so a variable left over in the parent shell can
# never change what btcbot runs with.
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# Every variable btcbot reads (docs/CONFIGURATION.md), the one list a config file may set;
# tests/unit/test_powershell_scripts.py holds it equal to the settings model's, so it cannot drift.
$script:BtcbotVariables = @(
    'APP_ROLE', 'STATE_DB_PATH', 'CONTROL_DIR', 'LIVE_TRADING', 'LIVE_TRADING_ACK', 'SAFE_MODE',
    'KILL_SWITCH', 'EXCHANGE', 'BTCTURK_API_KEY', 'BTCTURK_API_SECRET', 'BTCTURK_BASE_URL',
    'BTCTURK_GRAPH_URL', 'SIM_DATA', 'SIM_SPEED', 'PAPER_BALANCE_TRY', 'SYMBOLS', 'CYCLE_SECONDS',
    'CLOCK_UNCERTAINTY_LIMIT_SECONDS', 'HANDOVER_HOLDINGS',
    'METRICS_PORT', 'METRICS_BIND', 'LOG_LEVEL', 'LOG_FORMAT', 'RISK_MAX_ORDERS_PER_CYCLE',
    'RISK_MAX_OPEN_ORDERS', 'RISK_MAX_OPEN_ORDERS_PER_SYMBOL', 'RISK_MAX_ORDER_NOTIONAL_TRY',
    'RISK_MAX_POSITION_NOTIONAL_TRY', 'RISK_MAX_TOTAL_EXPOSURE_TRY', 'RISK_CASH_RESERVE_TRY',
    'RISK_MAX_FEE_AND_TAX_PCT', 'RISK_MAX_DATA_AGE_SECONDS', 'RISK_COOLDOWN_AFTER_FILL_SECONDS',
    'RISK_MAX_DAILY_LOSS_TRY', 'RISK_REDUCE_AT_DRAWDOWN_PCT', 'RISK_MAX_DRAWDOWN_PCT',
    'RISK_MAX_SUBMITS_PER_WINDOW', 'RISK_SUBMIT_WINDOW_SECONDS', 'STRATEGIES', 'STRATEGY_PARAMS_FILE',
    'STRATEGY_TREND_FAST_WINDOW', 'STRATEGY_TREND_SLOW_WINDOW', 'STRATEGY_TREND_ORDER_NOTIONAL_TRY',
    'STRATEGY_MEANREV_WINDOW', 'STRATEGY_MEANREV_ENTRY_Z', 'STRATEGY_MEANREV_TAKE_PROFIT_PCT',
    'STRATEGY_MEANREV_STOP_LOSS_PCT', 'STRATEGY_MEANREV_ORDER_NOTIONAL_TRY'
)
# Every name with a btcbot prefix is cleared first, known or not, so nothing from the parent shell
# leaks in (btcbot itself refuses an unknown one); the same prefixes as btcbot.settings.loading.
$script:BtcbotPrefixes = '^(APP|BTCTURK|RISK|STRATEGY|SIM|PAPER|LIVE|METRICS|LOG|STATE|CONTROL|CYCLE|SAFE|KILL|CLOCK|HANDOVER)_'

function Set-BtcbotSession {
    param(
        [Parameter(Mandatory)] [string] $ConfigFile,
        [Parameter(Mandatory)] [ValidateSet('live', 'monitor')] [string] $Role
    )
    if (-not (Test-Path -LiteralPath $ConfigFile -PathType Leaf)) {
        throw "config file not found: $ConfigFile (copy scripts\$Role.example.psd1 and edit it)"
    }
    # A .psd1 is data only: Import-PowerShellDataFile refuses code, so the config cannot run anything.
    $config = Import-PowerShellDataFile -LiteralPath $ConfigFile
    $keepSecrets = @{}
    foreach ($name in @('BTCTURK_API_KEY', 'BTCTURK_API_SECRET')) {
        $keepSecrets[$name] = [Environment]::GetEnvironmentVariable($name, 'Process')
    }
    $inherited = [Environment]::GetEnvironmentVariables('Process').Keys |
        Where-Object { $_ -match $script:BtcbotPrefixes }
    foreach ($name in @($script:BtcbotVariables) + @($inherited)) {
        [Environment]::SetEnvironmentVariable($name, $null, 'Process')
    }
    foreach ($name in $config.Keys) {
        if ($script:BtcbotVariables -notcontains $name) {
            throw "unknown variable '$name' in $ConfigFile"
        }
        if ($name -like 'BTCTURK_API_*') {
            throw "$name must not be stored in $ConfigFile; set it in the session or enter it when asked"
        }
        [Environment]::SetEnvironmentVariable($name, [string]$config[$name], 'Process')
    }
    [Environment]::SetEnvironmentVariable('APP_ROLE', $Role, 'Process')
    if ($Role -eq 'live') {
        foreach ($name in $keepSecrets.Keys) {
            if ($keepSecrets[$name]) {
                [Environment]::SetEnvironmentVariable($name, $keepSecrets[$name], 'Process')
            }
        }
    }
}

function Read-BtcbotSecret {
    param([Parameter(Mandatory)] [string] $Name)
    if ([Environment]::GetEnvironmentVariable($Name, 'Process')) { return }
    $secure = Read-Host -Prompt "$Name" -AsSecureString
    $plain = [System.Net.NetworkCredential]::new('', $secure).Password
    [Environment]::SetEnvironmentVariable($Name, $plain, 'Process')
}

function Get-BtcbotExe {
    param([Parameter(Mandatory)] [string] $VenvDir)
    $exe = Join-Path $VenvDir 'Scripts\btcbot.exe'
    if (-not (Test-Path -LiteralPath $exe -PathType Leaf)) {
        throw "btcbot is not installed in $VenvDir; run scripts\bootstrap_windows.ps1 first"
    }
    return $exe
}
