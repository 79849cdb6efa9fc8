#!/usr/bin/env bash
# npm test: the unit tests, then the integration and the boot tests side by side. A guest under TCG
# keeps most of both cores busy while the integration tests mostly wait on their daemons, so the two
# lanes together take little longer than the boot lane alone. Each lane's lines carry its name.
set -uo pipefail
cd "$(dirname "$0")/.."
run() { node --import tsx --test --test-reporter=spec "$@"; }
run test/unit/*.test.ts
unit=$?
(run test/boot/*.test.ts 2>&1 | sed -u 's/^/[boot] /'; exit "${PIPESTATUS[0]}") &
boot_lane=$!
run test/integration/*.test.ts 2>&1 | sed -u 's/^/[integration] /'
integration=${PIPESTATUS[0]}
wait "$boot_lane"
boot=$?
echo "npm test: exit codes: unit $unit, integration $integration, boot $boot"
exit $((unit || integration || boot))
