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
  # Messages and stack traces span lines in the TRX file: print each failure's block, a bounded number of lines.
  awk '/<ErrorInfo>/{on=1; n=0} on && n<40 {print; n++} /<\/ErrorInfo>/{on=0}' "$results/results.trx" \
    | sed -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&quot;/"/g' -e "s/&apos;/'/g" -e 's/&amp;/\&/g' | head -200 || true
fi
rm -rf "$results"
exit "$status"
