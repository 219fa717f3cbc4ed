# Shared by run_live.ps1 and run_monitor.ps1 (dot-sourced): build this session's environment
# from one role's config file and nothing else, so a variable left over in the parent shell can
# never change what btcbot runs with.
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# Every variable btcbot reads (see docs/CONFIGURATION.md); all are cleared before the config is applied.
$script:BtcbotVariables = @(
    'APP_ROLE', 'STATE_DB_PATH', 'CONTROL_DIR', 'LIVE_TRADING', 'LIVE_TRADING_ACK', 'SAFE_MODE',
    'KILL_SWITCH', 'EXCHANGE', 'BTCTURK_API_KEY', 'BTCTURK_API_SECRET', 'BTCTURK_BASE_URL',
    'BTCTURK_GRAPH_URL', 'SYMBOLS', 'CYCLE_SECONDS', 'METRICS_PORT', 'METRICS_BIND', 'LOG_LEVEL',
    'LOG_FORMAT'
)

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
    foreach ($name in $script:BtcbotVariables) {
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
