#!/usr/bin/env bash
# Runs the whole test suite on real PostgreSQL (the tests start their own throwaway server).
set -euo pipefail
cd "$(dirname "$0")"
CLOUDFRAN_NEEDS_BROWSER=1 source scripts/prereqs.sh

dotnet build CloudFran.Orleans.sln -c Debug -warnaserror -nologo -clp:ErrorsOnly
dotnet test tests/CloudFran.Tests/CloudFran.Tests.csproj -c Debug --no-build --nologo \
  --logger "console;verbosity=normal" "$@"
