#!/usr/bin/env bash
# Runs the Functions app locally as it runs in Azure: Azurite for storage, the app's Release build under
# an Azure Functions host on 127.0.0.1:7071 (Core Tools' `func start` where installed, else the func-host
# beside this repository at ../shared/tools/functions-host). Prints the URLs, the function key and how to
# upload a dataset; runs until Ctrl-C, then stops the host and the Azurite it started.
#
#   scripts/functions-local.sh [--port 7071]
#
# Settings: local.settings.json at the repository root (made from local.settings.sample.json when
# missing). The function key: LEPTON_FUNCTION_KEY, else a new random one (func-host enforces keys as
# Azure does; Core Tools does not check them). Azurite's data: .lepton-azurite/ (kept between runs).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
log() { printf 'functions-local: %s\n' "$*" >&2; }

port=7071
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port=$2; shift 2 ;;
    -h|--help) sed -n 2,11p "$0"; exit 0 ;;
    *) log "unknown argument $1"; exit 2 ;;
  esac
done

# shellcheck source=scripts/lib.sh
. "$repo/scripts/lib.sh"
command -v dotnet >/dev/null 2>&1 || { log "the .NET 10 SDK is required (dotnet on PATH)"; exit 1; }
install_azurite
start_azurite "$repo/.lepton-azurite"

host_pid=
cleanup() {
  if [ -n "$host_pid" ]; then
    kill -TERM "$host_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$host_pid" 2>/dev/null || break; sleep 0.2; done
    pkill -KILL -P "$host_pid" 2>/dev/null || true
    kill -KILL "$host_pid" 2>/dev/null || true
  fi
  stop_azurite
}
trap cleanup EXIT INT TERM

if [ ! -f local.settings.json ]; then
  cp local.settings.sample.json local.settings.json
  log "made local.settings.json from local.settings.sample.json"
fi

log "building the Functions app and the trainer (Release)"
dotnet build src/Lepton.Functions.Local -c Release -nologo -v quiet -clp:ErrorsOnly
dotnet build src/Lepton.Trainer -c Release -nologo -v quiet -clp:ErrorsOnly
app="$repo/src/Lepton.Functions.Local/bin/Release/net10.0"

key=${LEPTON_FUNCTION_KEY:-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')}
func_host="$repo/../shared/tools/functions-host/func-host"
if command -v func >/dev/null 2>&1; then
  kind="Core Tools (func start): function keys are not checked"
  cp local.settings.json "$app/local.settings.json"
  (cd "$app" && exec func start --port "$port") &
elif [ -x "$func_host" ]; then
  kind="func-host (the Azure Functions host): function keys are enforced, as in Azure"
  "$func_host" --app "$app" --port "$port" --settings "$repo/local.settings.json" --function-key "$key" &
else
  log "no Functions host: install Azure Functions Core Tools (func), or provide $func_host"
  exit 1
fi
host_pid=$!

for _ in $(seq 1 300); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/v2/health/live" 2>/dev/null && break
  kill -0 "$host_pid" 2>/dev/null || { log "the host exited"; exit 1; }
  sleep 0.3
done

cat <<EOF

Lepton's Functions app is running on http://127.0.0.1:$port ($kind)
  function key (admin routes: header x-functions-key or ?code=):  $key
  models:     http://127.0.0.1:$port/api/models
  OpenAPI:    http://127.0.0.1:$port/openapi.json
  health:     http://127.0.0.1:$port/v2/health/ready
  storage:    Azurite on 127.0.0.1:10000 (UseDevelopmentStorage=true), data in .lepton-azurite/

Upload a dataset from another terminal (it trains, publishes and serves a model):
  dotnet build src/Lepton.Cli -c Release && alias lepton="dotnet $repo/src/Lepton.Cli/bin/Release/net10.0/lepton.dll"
  echo '{"architecture": "cnn", "epochs": 5}' > lepton.json
  lepton datasets upload fashion /usr/share/datasets/fashion-mnist --settings lepton.json \\
      --store UseDevelopmentStorage=true --wait --api http://127.0.0.1:$port --key $key

Ctrl-C stops the host and Azurite.
EOF
wait "$host_pid"
