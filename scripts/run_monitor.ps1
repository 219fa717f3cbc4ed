<#
.SYNOPSIS
    Run the MONITOR health check (btcbot health) from its own venv and config.
.DESCRIPTION
    Clears every btcbot variable, applies -ConfigFile (a .psd1, see monitor.example.psd1; no API
    credentials ever), runs btcbot health and exits with its Nagios code: 0 OK, 1 WARNING,
    2 CRITICAL, 3 UNKNOWN. Extra arguments go to btcbot, e.g. -- health --json.
#>
# No positional binding: every word after the named parameters goes to btcbot.
[CmdletBinding(PositionalBinding = $false)]
param(
    [Parameter(Mandatory)] [string] $ConfigFile,
    [string] $VenvDir = (Join-Path $PSScriptRoot '..\.venv-monitor'),
    [Parameter(ValueFromRemainingArguments)] [string[]] $BtcbotArgs
)
. (Join-Path $PSScriptRoot '_session.ps1')

try {
    Set-BtcbotSession -ConfigFile $ConfigFile -Role 'monitor'
    $btcbot = Get-BtcbotExe -VenvDir $VenvDir
}
catch {
    [Console]::Error.WriteLine("run_monitor: $($_.Exception.Message)")
    # Nagios UNKNOWN: the check itself could not run.
    exit 3
}
if (-not $BtcbotArgs) { $BtcbotArgs = @('health') }
& $btcbot @BtcbotArgs
exit $LASTEXITCODE
