#!/usr/bin/env pwsh
# ZkCompat build entry point. Verbs: build | test | run [zkcompat args...] | bench
# Mirrors build.sh verb for verb.
$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot

$Configuration = if ($env:CONFIGURATION) { $env:CONFIGURATION } else { 'Release' }
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'
$env:DOTNET_SKIP_FIRST_TIME_EXPERIENCE = '1'

$verb = if ($args.Count -gt 0) { $args[0] } else { 'build' }
$rest = if ($args.Count -gt 1) { $args[1..($args.Count - 1)] } else { @() }

switch ($verb) {
  'build' {
    dotnet build ZkCompat.sln -c $Configuration @rest
    exit $LASTEXITCODE
  }
  'test' {
    dotnet build ZkCompat.sln -c $Configuration
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
    # Unit tests and interop tests (stock Java client/server) are both part of the run.
    # A hung test fails the run (with the name of the test) instead of stalling CI.
    $output = dotnet test ZkCompat.sln -c $Configuration --no-build --blame-hang-timeout 10m --blame-hang-dump-type none @rest 2>&1 | Tee-Object -Variable lines
    $status = $LASTEXITCODE
    # One plain summary line over all test assemblies.
    $p = 0; $f = 0; $s = 0
    foreach ($line in $lines) {
      if ("$line" -match 'Failed:\s+(\d+),\s+Passed:\s+(\d+),\s+Skipped:\s+(\d+)') {
        $f += [int]$Matches[1]; $p += [int]$Matches[2]; $s += [int]$Matches[3]
      }
    }
    Write-Output "$p passed, $f failed, $s skipped"
    if (-not ($lines | Select-String -Pattern '(Passed|Failed)!')) { Write-Error 'no test summary found'; $status = 1 }
    if ($s -gt 0) { Write-Error 'skipped tests are defects here'; $status = 1 }
    exit $status
  }
  'run' {
    dotnet run --project src/ZkCompat.Server -c $Configuration -- @rest
    exit $LASTEXITCODE
  }
  'bench' {
    bash bench/compare.sh @rest
    exit $LASTEXITCODE
  }
  default {
    Write-Error "usage: build.ps1 build|test|run|bench [args...]"
    exit 2
  }
}
