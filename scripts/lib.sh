# Shared by scripts/test.sh, scripts/functions-local.sh and the bench/ scripts (sourced, not run): Debian packages, the
# cache folder, and Azurite (installed with npm into the cache, started on 127.0.0.1).
# The caller defines log().

if [ "$(id -u)" -eq 0 ]; then cache=${LEPTON_CACHE:-/var/cache/lepton}; else cache=${LEPTON_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lepton}; fi
azurite_version=3.37.0
azurite_dir="$cache/azurite-$azurite_version"
azurite_pid=

apt_updated=
apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    log "missing Debian packages: $* (run as root, or install them yourself)"
    return 1
  fi
  if [ -z "$apt_updated" ]; then apt-get update -qq >/dev/null && apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

install_azurite() {
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    log "installing Node.js and npm (for Azurite)"
    apt_install nodejs npm || return 1
  fi
  if [ ! -x "$azurite_dir/node_modules/.bin/azurite" ]; then
    # Installed beside, then renamed into place: an install cut short leaves no folder that looks whole.
    log "installing Azurite into $azurite_dir"
    local staging="$azurite_dir.partial.$$"
    rm -rf "$staging" "$azurite_dir"
    mkdir -p "$staging"
    if ! npm install --prefix "$staging" --no-audit --no-fund --loglevel=error "azurite@$azurite_version" >/dev/null 2>&1; then
      rm -rf "$staging"
      log "npm install azurite failed"
      return 1
    fi
    mv "$staging" "$azurite_dir"
  fi
}

azurite_listening() { (exec 3<>/dev/tcp/127.0.0.1/10000) 2>/dev/null; }

# start_azurite DATA_FOLDER: starts Azurite (blob 10000, queue 10001, table 10002) on 127.0.0.1 unless
# something listens there already; sets azurite_pid when it started one.
start_azurite() {
  local data=$1
  if azurite_listening; then
    log "something already listens on 127.0.0.1:10000; using it as Azurite"
    return 0
  fi
  mkdir -p "$data"
  "$azurite_dir/node_modules/.bin/azurite" --silent --skipApiVersionCheck --loose --location "$data" \
    --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 >"$data/azurite.log" 2>&1 &
  azurite_pid=$!
  for _ in $(seq 1 100); do
    azurite_listening && return 0
    sleep 0.2
  done
  cat "$data/azurite.log" >&2
  log "Azurite did not start"
  return 1
}

stop_azurite() {
  if [ -n "$azurite_pid" ]; then
    kill "$azurite_pid" 2>/dev/null && wait "$azurite_pid" 2>/dev/null
    azurite_pid=
  fi
  return 0
}

# functions_host: the Azure Functions host the benchmarks run the app under: LEPTON_FUNCTIONS_HOST, else the
# one beside the repository (../shared/tools/functions-host/func-host); fails, saying so, when there is none.
functions_host() {
  local root host
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  host=${LEPTON_FUNCTIONS_HOST:-$root/../shared/tools/functions-host/func-host}
  [ -x "${host%% *}" ] || { log "no Functions host at $host (set LEPTON_FUNCTIONS_HOST)"; return 1; }
  echo "$host"
}

# stop_processes PID...: TERM to each, then after 2 s KILL to each and to its children (the host's worker).
stop_processes() {
  local pid
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  [ $# -eq 0 ] || sleep 2
  for pid in "$@"; do pkill -KILL -P "$pid" 2>/dev/null || true; kill -KILL "$pid" 2>/dev/null || true; done
}

# train_cnn RUN_FOLDER DATA_FOLDER: trains the paper's CNN (5 epochs) with the trainer into RUN_FOLDER
# (model.onnx, metrics.json, ...), through scripts/torch-run.sh. The benchmarks' model when they have none.
train_cnn() {
  local run=$1 data=$2 root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  log "training the CNN into $run (5 epochs)"
  dotnet build "$root/src/Lepton.Trainer" -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null || return 1
  mkdir -p "$run"
  "$root/scripts/torch-run.sh" dotnet "$root/src/Lepton.Trainer/bin/Release/net10.0/lepton-trainer.dll" train \
    --data "$data" --out "$run" --arch cnn --epochs 5 >&2
}
