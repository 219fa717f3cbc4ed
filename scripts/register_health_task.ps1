<#
.SYNOPSIS
    Register (or replace) a Windows scheduled task that runs the MONITOR health check.
.DESCRIPTION
    Runs scripts\run_monitor.ps1 every -EveryMinutes minutes as the current user, whether or not
    that user is logged on (logon type S4U: no password is stored; the task reaches local files
    only, which is all health needs). The task's own time limit is a backstop; btcbot health
    enforces its --timeout itself. A second run never starts while one is still going
    (MultipleInstances IgnoreNew).
#>
param(
    [Parameter(Mandatory)] [string] $ConfigFile,
    [string] $TaskName = 'btcbot-health',
    [ValidateRange(1, 1440)] [int] $EveryMinutes = 5,
    [string] $PromFile = ''
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$config = (Resolve-Path -LiteralPath $ConfigFile).Path
$runner = Join-Path $PSScriptRoot 'run_monitor.ps1'
$arguments = "-NoProfile -NonInteractive -ExecutionPolicy Bypass -File `"$runner`" -ConfigFile `"$config`""
if ($PromFile) { $arguments += " -- health --prom-file `"$PromFile`"" }

try {
    $action = New-ScheduledTaskAction -Execute 'powershell.exe' -Argument $arguments
    $trigger = New-ScheduledTaskTrigger -Once -At (Get-Date) `
        -RepetitionInterval (New-TimeSpan -Minutes $EveryMinutes)
    $settings = New-ScheduledTaskSettingsSet -MultipleInstances IgnoreNew `
        -ExecutionTimeLimit (New-TimeSpan -Minutes 2) -StartWhenAvailable
    # Without a principal the task runs only while the user is logged on: the MONITOR must not.
    $principal = New-ScheduledTaskPrincipal -UserId ([Environment]::UserName) -LogonType S4U `
        -RunLevel Limited
    Register-ScheduledTask -TaskName $TaskName -Action $action -Trigger $trigger `
        -Settings $settings -Principal $principal `
        -Description 'btcbot MONITOR health check (exit 0/1/2/3)' -Force | Out-Null
}
catch {
    [Console]::Error.WriteLine("register_health_task: $($_.Exception.Message)")
    exit 1
}
Write-Host "registered scheduled task '$TaskName': every $EveryMinutes min, config $config"
exit 0
