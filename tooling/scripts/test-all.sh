#!/usr/bin/env bash
# The one test command: sets the machine up, then type-checks, lints (publint) and runs every test,
# unit tests of each package and the privileged end-to-end suite (needs root).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tooling/scripts/setup.sh
export FORCE_COLOR=0
pnpm turbo run typecheck lint --output-logs=errors-only
# Each package writes a JSON report; the summary line below adds them up.
export C_TEST_REPORT_DIR="$PWD/.test-results"
rm -rf "$C_TEST_REPORT_DIR" && mkdir -p "$C_TEST_REPORT_DIR"
status=0
pnpm turbo run test --concurrency=2 --continue --env-mode=loose || status=$?
node tooling/scripts/summarize-tests.mjs .test-results || status=1
exit $status
