<#
.SYNOPSIS
    Create one virtualenv per role (.venv-live, .venv-monitor) and install btcbot into each.
.DESCRIPTION
    Two venvs keep the roles apart down to their installed code: upgrading the MONITOR cannot
    change the LIVE process under its feet. Needs Python >= 3.11 (the py launcher). Stops at
    the first failing step and exits with that step's exit code.
#>
param(
    [string] $Python = 'py',
    [string[]] $PythonArgs = @('-3.11'),
    [ValidateSet('live', 'monitor', 'both')] [string] $Role = 'both'
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$root = Resolve-Path (Join-Path $PSScriptRoot '..')

function Invoke-Step {
    param([Parameter(Mandatory)] [string] $What, [Parameter(Mandatory)] [scriptblock] $Run)
    Write-Host "== $What"
    & $Run
    if ($LASTEXITCODE -ne 0) {
        [Console]::Error.WriteLine("bootstrap: '$What' failed with exit code $LASTEXITCODE")
        exit $LASTEXITCODE
    }
}

$roles = if ($Role -eq 'both') { @('live', 'monitor') } else { @($Role) }
foreach ($r in $roles) {
    $venv = Join-Path $root ".venv-$r"
    $py = Join-Path $venv 'Scripts\python.exe'
    if (-not (Test-Path -LiteralPath $py -PathType Leaf)) {
        Invoke-Step "create $venv" { & $Python @PythonArgs -m venv $venv }
    }
    Invoke-Step "upgrade pip in $venv" { & $py -m pip install --quiet --upgrade pip }
    Invoke-Step "install btcbot into $venv" { & $py -m pip install --quiet $root }
    Invoke-Step "check btcbot in $venv" { & (Join-Path $venv 'Scripts\btcbot.exe') --version }
}
Write-Host "done: copy scripts\live.example.psd1 and scripts\monitor.example.psd1, edit them, then see docs\RUNBOOK.md"
exit 0
