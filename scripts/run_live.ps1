<#
.SYNOPSIS
    Start the LIVE process (btcbot run --loop) in this session, from its own venv and config.
.DESCRIPTION
    Clears every btcbot variable, applies -ConfigFile (a .psd1, see live.example.psd1), asks for
    the API key and secret when LIVE_TRADING is true and they are not already in the session,
    then runs btcbot and exits with btcbot's own exit code (0 ok, 1 failure, 2 config, 4 refused,
    130 interrupted). Extra arguments replace the default command, e.g. -- inspect.
    The mode follows the config (docs/CONFIGURATION.md, "Modes"): EXCHANGE='sim' runs the
    emulator inside the LIVE process (no credentials, no network); EXCHANGE='btcturk' with
    LIVE_TRADING='false' is paper trading on BtcTurk's public data (no credentials asked);
    LIVE_TRADING='true' is real trading, after 'btcbot arm'.
#>
# No positional binding: every word after the named parameters goes to btcbot.
[CmdletBinding(PositionalBinding = $false)]
param(
    [Parameter(Mandatory)] [string] $ConfigFile,
    [string] $VenvDir = (Join-Path $PSScriptRoot '..\.venv-live'),
    [Parameter(ValueFromRemainingArguments)] [string[]] $BtcbotArgs
)
. (Join-Path $PSScriptRoot '_session.ps1')

try {
    Set-BtcbotSession -ConfigFile $ConfigFile -Role 'live'
    if ($env:LIVE_TRADING -eq 'true') {
        Read-BtcbotSecret -Name 'BTCTURK_API_KEY'
        Read-BtcbotSecret -Name 'BTCTURK_API_SECRET'
    }
    $btcbot = Get-BtcbotExe -VenvDir $VenvDir
}
catch {
    [Console]::Error.WriteLine("run_live: $($_.Exception.Message)")
    exit 2
}
if (-not $BtcbotArgs) { $BtcbotArgs = @('run', '--loop') }
& $btcbot @BtcbotArgs
exit $LASTEXITCODE
