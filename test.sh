#!/usr/bin/env bash
# Runs the whole test suite on real PostgreSQL (the tests start their own throwaway server).
set -euo pipefail
cd "$(dirname "$0")"
CLOUDFRAN_NEEDS_BROWSER=1 source scripts/prereqs.sh

dotnet build CloudFran.Orleans.sln -c Debug -warnaserror -nologo -clp:ErrorsOnly
results="$(mktemp -d)"
status=0
dotnet test tests/CloudFran.Tests/CloudFran.Tests.csproj -c Debug --no-build --nologo \
  --logger "console;verbosity=normal" --logger "trx;LogFileName=results.trx" --results-directory "$results" \
  "$@" || status=$?

# The console log interleaves host output with results; repeat the failures at the end where they are seen.
if [ "$status" -ne 0 ] && [ -f "$results/results.trx" ]; then
  echo "---- failed tests ----"
  grep -o '<UnitTestResult [^>]*outcome="Failed"[^>]*>' "$results/results.trx" \
    | sed -E 's/.*testName="([^"]*)".*duration="([^"]*)".*/\1 (\2)/' || true
  echo "---- first failure messages ----"
  grep -o '<Message>[^<]*</Message>' "$results/results.trx" | head -20 | cut -c1-400 || true
fi
rm -rf "$results"
exit "$status"
