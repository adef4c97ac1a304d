#!/usr/bin/env bash
# Makes sure this machine can build and run the platform: the .NET 10 SDK and PostgreSQL server binaries
# (installed with apt when missing). Sourced by run.sh, test.sh and bench/run.sh.
set -euo pipefail

if ! command -v dotnet >/dev/null 2>&1; then
  echo "error: the .NET 10 SDK is required (https://learn.microsoft.com/dotnet/core/install/linux-debian)" >&2
  exit 1
fi

if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 && [ -z "${CLOUDFRAN_PG_BIN:-}" ]; then
  echo "PostgreSQL server binaries not found; installing them with apt-get" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq postgresql >/dev/null
fi

# As root, the embedded server runs as the 'postgres' user, which apt's package creates.
if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
  echo "error: running as root needs the 'postgres' system user (apt-get install postgresql creates it)" >&2
  exit 1
fi

# The test suite drives the voice dashboard in a real headless browser: Debian's Chromium.
if [ "${CLOUDFRAN_NEEDS_BROWSER:-0}" = "1" ] && ! command -v chromium >/dev/null 2>&1; then
  echo "Chromium not found; installing it with apt-get (browser tests)" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium >/dev/null
fi
