#!/usr/bin/env bash
# The test command: installs what the tests need, builds once, runs every test project, and ends with
# one line "N passed, N failed". Exit code 0 only when every test ran and passed.
#
# Test projects that load TorchSharp (found from their restore assets) run through
# scripts/torch-run.sh, natively where the host's libstdc++ is new enough and in a cached Debian 13
# userland otherwise; the rest run on the host.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0
export LEPTON_FASHION_MNIST=${LEPTON_FASHION_MNIST:-/usr/share/datasets/fashion-mnist}

log() { printf 'test.sh: %s\n' "$*" >&2; }
finish() { printf '%s passed, %s failed, %s skipped\n' "$1" "$2" "${skipped:-0}"; exit "$3"; }

# --- what the tests need --------------------------------------------------------------------------
# shellcheck source=scripts/lib.sh
. "$repo/scripts/lib.sh"

if [ ! -f "$LEPTON_FASHION_MNIST/train-images-idx3-ubyte.gz" ] && [ ! -f "$LEPTON_FASHION_MNIST/train-images-idx3-ubyte" ]; then
  log "installing Fashion-MNIST (Debian package dataset-fashion-mnist)"
  apt_install dataset-fashion-mnist || finish 0 1 1
fi

# Azurite (Blob, Queue, Table emulator) for the storage tests and the Functions host: a fresh data
# folder, stopped when this script ends.
install_azurite || finish 0 1 1
azurite_data=$(mktemp -d)
start_azurite "$azurite_data" || finish 0 1 1
cleanup() {
  stop_azurite
  rm -rf "$azurite_data"
}
trap cleanup EXIT
export LEPTON_TEST_AZURITE="UseDevelopmentStorage=true"

# Debian's Chromium for the web console's browser tests (tests/Lepton.Host.Tests drive it with
# Playwright); where it cannot be installed those tests report themselves skipped.
if [ ! -x /usr/bin/chromium ] && [ -z "${LEPTON_CHROMIUM:-}" ]; then
  log "installing Chromium (Debian package chromium) for the console's browser tests"
  apt_install chromium || log "could not install chromium: the browser tests will be skipped"
fi

if ! command -v dotnet >/dev/null 2>&1; then
  log "the .NET 10 SDK is required (dotnet on PATH)"
  finish 0 1 1
fi

# --- build once -----------------------------------------------------------------------------------
log "building"
if ! dotnet build Lepton.Functions.sln -c Debug -nologo -v quiet -clp:ErrorsOnly >/tmp/lepton-build.$$.log 2>&1; then
  cat /tmp/lepton-build.$$.log
  rm -f /tmp/lepton-build.$$.log
  log "build failed"
  finish 0 1 1
fi
# The Functions app's tests run it under a real Functions host, from its Release build (as `func start`
# and scripts/functions-local.sh do): the local app, with the upload scan Azurite needs.
if ! dotnet build src/Lepton.Functions.Local -c Release -nologo -v quiet -clp:ErrorsOnly >/tmp/lepton-build.$$.log 2>&1; then
  cat /tmp/lepton-build.$$.log
  rm -f /tmp/lepton-build.$$.log
  log "Release build of the Functions app failed"
  finish 0 1 1
fi
rm -f /tmp/lepton-build.$$.log

# --- run every test project -----------------------------------------------------------------------
passed=0
failed=0
skipped=0

# Bicep: build and lint infra/ with the Bicep CLI from NuGet, lint warnings counted as failures.
bicep_version=0.49.2
bicep_dir="$cache/bicep-$bicep_version"
bicep="${NUGET_PACKAGES:-$HOME/.nuget/packages}/azure.bicep.commandline.linux-x64/$bicep_version/tools/bicep"
if [ ! -x "$bicep" ]; then
  mkdir -p "$bicep_dir"
  cat >"$bicep_dir/bicep.csproj" <<PROJ
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework><ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally></PropertyGroup>
  <ItemGroup><PackageReference Include="Azure.Bicep.CommandLine.linux-x64" Version="$bicep_version" ExcludeAssets="all" /></ItemGroup>
</Project>
PROJ
  dotnet restore "$bicep_dir/bicep.csproj" >/dev/null 2>&1 || log "could not restore the Bicep CLI"
  chmod +x "$bicep" 2>/dev/null || true
fi
for step in build lint; do
  if [ "$step" = build ]; then out=$("$bicep" build infra/main.bicep --stdout 2>&1 >/dev/null); else out=$("$bicep" lint infra/main.bicep 2>&1); fi
  rc=$?
  if [ $rc -eq 0 ] && ! grep -qiE 'warning|error' <<<"$out"; then
    log "bicep $step: ok"
    passed=$((passed + 1))
  else
    printf '%s\n' "$out" >&2
    log "bicep $step: failed"
    failed=$((failed + 1))
  fi
done
# PowerShell, for the pwsh variants of the azd hooks (tests/Lepton.Functions.Tests/HookTests.cs parses and
# runs them): Debian has no powershell package, NuGet has it as the dotnet tool PowerShell (7.6 runs on
# .NET 10). Where it cannot be installed those tests fail, saying so.
pwsh_version=7.6.10
pwsh_dir="$cache/pwsh-$pwsh_version"
if [ ! -x "$pwsh_dir/pwsh" ]; then
  dotnet tool install --tool-path "$pwsh_dir" PowerShell --version "$pwsh_version" >/dev/null 2>&1 ||
    log "could not install PowerShell $pwsh_version (dotnet tool): the pwsh hook tests will fail"
fi
export LEPTON_PWSH="$pwsh_dir/pwsh"

for project in tests/*/*.csproj; do
  name=$(basename "$project" .csproj)
  assets="$(dirname "$project")/obj/project.assets.json"
  runner=()
  if grep -qi '"torchsharp/' "$assets" 2>/dev/null; then
    runner=(scripts/torch-run.sh)
  fi
  log "running $name${runner:+ (through torch-run)}"
  out=$(mktemp)
  "${runner[@]}" dotnet test "$project" --no-build -c Debug --nologo 2>&1 | tee "$out"
  summary=$(grep -E '^(Passed|Failed|Skipped)!' "$out" | tail -n 1) # all skipped: "Skipped!"
  rm -f "$out"
  if [ -z "$summary" ]; then
    log "$name: no test summary (the test host did not finish)"
    failed=$((failed + 1))
    continue
  fi
  p=$(sed -E 's/.*Passed: *([0-9]+).*/\1/' <<<"$summary")
  f=$(sed -E 's/.*Failed: *([0-9]+),.*/\1/' <<<"$summary")
  s=$(sed -E 's/.*Skipped: *([0-9]+),.*/\1/' <<<"$summary")
  passed=$((passed + p))
  skipped=$((skipped + s))
  failed=$((failed + f))
done

if [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]; then
  finish "$passed" "$failed" 0
fi
finish "$passed" "$failed" 1
