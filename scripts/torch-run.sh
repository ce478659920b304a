#!/usr/bin/env bash
# Runs a command where TorchSharp 0.107 loads.
#
#   scripts/torch-run.sh <command> [args...]
#
# TorchSharp's native library needs libstdc++ with GLIBCXX_3.4.32 (GCC 13+). Where the host's
# libstdc++ has it (Ubuntu 24.04, Debian 13, ...), the command runs as is. Otherwise (Debian 12) it
# runs inside a Debian 13 (trixie) userland made once with debootstrap and cached, with the host's
# .NET, the NuGet caches, the repository, the working directory, /tmp, /dev and /proc mounted at the
# same paths, so every path means the same file inside and out. The mounts live in a private mount
# namespace (unshare --mount) and vanish when the command ends.
#
# Settings: LEPTON_TORCH_ROOTFS (where the userland lives), LEPTON_TORCH_MODE=native|chroot (override
# the detection), LEPTON_TORCH_EXTRA_MOUNTS (colon-separated host folders to mount as well).
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: scripts/torch-run.sh <command> [args...]" >&2
  exit 2
fi

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
required=GLIBCXX_3.4.32

# True when a libstdc++ the dynamic loader finds exports the required symbol version.
host_has_glibcxx() {
  local lib
  for lib in $( (ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 /{print $NF}') ; \
                ls /usr/lib/*/libstdc++.so.6 /usr/lib64/libstdc++.so.6 /usr/lib/libstdc++.so.6 2>/dev/null); do
    [ -r "$lib" ] && grep -aq "$required" "$lib" && return 0
  done
  return 1
}

mode=${LEPTON_TORCH_MODE:-}
if [ -z "$mode" ]; then
  if host_has_glibcxx; then mode=native; else mode=chroot; fi
fi
if [ "$mode" = native ]; then
  exec "$@"
fi
if [ "$mode" != chroot ]; then
  echo "torch-run: LEPTON_TORCH_MODE must be 'native' or 'chroot', not '$mode'" >&2
  exit 2
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "torch-run: this host's libstdc++ lacks $required, which TorchSharp needs; running in the Debian 13" >&2
  echo "torch-run: userland needs root (debootstrap, chroot). Re-run as root or with sudo." >&2
  exit 3
fi

if [ -n "${LEPTON_TORCH_ROOTFS:-}" ]; then
  rootfs=$LEPTON_TORCH_ROOTFS
else
  rootfs=/var/cache/lepton/trixie-rootfs
fi

prepare_rootfs() {
  mkdir -p "$(dirname "$rootfs")"
  exec 9>"$rootfs.lock"
  flock 9
  if [ -f "$rootfs/.lepton-ready" ]; then return; fi
  if ! command -v debootstrap >/dev/null 2>&1; then
    echo "torch-run: installing debootstrap" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap; } >&2
  fi
  echo "torch-run: preparing the Debian 13 userland for TorchSharp in $rootfs (once, about a minute)" >&2
  rm -rf "$rootfs"
  local log; log=$(mktemp)
  if ! debootstrap --variant=minbase --include=libicu76,libssl3t64,ca-certificates trixie "$rootfs" >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    echo "torch-run: debootstrap failed (log: $log)" >&2
    exit 4
  fi
  rm -f "$log"
  if ! grep -aq "$required" "$rootfs"/usr/lib/x86_64-linux-gnu/libstdc++.so.6 "$rootfs"/usr/lib/*/libstdc++.so.6 2>/dev/null; then
    echo "torch-run: the prepared userland has no libstdc++ with $required" >&2
    exit 4
  fi
  touch "$rootfs/.lepton-ready"
}

[ -f "$rootfs/.lepton-ready" ] || prepare_rootfs
cp -L /etc/resolv.conf "$rootfs/etc/resolv.conf" 2>/dev/null || true
cp -L /etc/hosts "$rootfs/etc/hosts" 2>/dev/null || true
# The host's trust store too (like resolv.conf): a machine behind a TLS-inspecting proxy trusts its CA
# there, and `dotnet restore`/`publish` inside (the trainer image test) must reach NuGet the same way.
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  mkdir -p "$rootfs/etc/ssl/certs"
  cp -L /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt" 2>/dev/null || true
fi

dotnet_bin=$(command -v dotnet || true)
dotnet_root=${DOTNET_ROOT:-}
if [ -z "$dotnet_root" ] && [ -n "$dotnet_bin" ]; then dotnet_root=$(dirname "$(readlink -f "$dotnet_bin")"); fi

# Host folders visible at the same path inside.
mounts=("$repo" "$PWD" /tmp "${HOME:-/root}" /opt/nuget /usr/share/datasets)
[ -n "$dotnet_root" ] && mounts+=("$dotnet_root")
[ -n "${NUGET_PACKAGES:-}" ] && mounts+=("$NUGET_PACKAGES")
if [ -n "${LEPTON_TORCH_EXTRA_MOUNTS:-}" ]; then
  IFS=: read -r -a extra <<<"$LEPTON_TORCH_EXTRA_MOUNTS"
  mounts+=("${extra[@]}")
fi

inner_path=$PATH
[ -n "$dotnet_root" ] && inner_path="$dotnet_root:$inner_path"

export LEPTON_TORCH_ROOTFS_INNER="$rootfs" LEPTON_TORCH_CWD="$PWD" LEPTON_TORCH_PATH="$inner_path"
export LEPTON_TORCH_DOTNET_ROOT="$dotnet_root"
exec unshare --mount --propagation private -- bash -c '
  set -e
  r=$LEPTON_TORCH_ROOTFS_INNER
  shift_mounts=$1; shift
  IFS="|" read -r -a ms <<<"$shift_mounts"
  for m in "${ms[@]}"; do
    [ -n "$m" ] && [ -d "$m" ] || continue
    mkdir -p "$r$m"
    mount --bind "$m" "$r$m"
  done
  mount --rbind /dev "$r/dev"
  mount -t proc proc "$r/proc"
  export PATH=$LEPTON_TORCH_PATH
  [ -n "$LEPTON_TORCH_DOTNET_ROOT" ] && export DOTNET_ROOT=$LEPTON_TORCH_DOTNET_ROOT
  exec chroot "$r" /bin/bash -c "cd \"\$LEPTON_TORCH_CWD\" && exec \"\$@\"" torch-run "$@"
' torch-run "$(IFS='|'; echo "${mounts[*]}")" "$@"
