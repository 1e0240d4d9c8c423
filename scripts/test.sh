#!/usr/bin/env bash
# npm test: build, type-check and lint every project, make sure the real services and clients
# are there, then run all three test tiers (unit, integration, e2e). The conformance project (the
# same suites against the real Glance) is separate: npm run test:glance.
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false npm_config_nodedir=/usr
npx nx run-many -t build typecheck lint --outputStyle=static --parallel=2
# The tests themselves are type-checked too (Jest's swc transform only strips the types).
npx tsc -p tsconfig.spec.json
bash scripts/services.sh
bash scripts/install-clients.sh
npx jest --ci --runInBand --selectProjects unit integration e2e "$@"
