#!/usr/bin/env bash
# npm run test:glance: the black-box integration suites against the real Glance 25 of
# ../shared/peers/glance (trusted mode, in a private copy with its own runtime dir and port; the
# peer's setup.sh installs Glance's Debian packages when they are missing). Glimpse is not needed.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x "${GLANCE_PEER_SRC:-../shared/peers/glance}/setup.sh" ] || {
  echo "no Glance peer at ${GLANCE_PEER_SRC:-../shared/peers/glance} (set GLANCE_PEER_SRC)" >&2; exit 1; }
npx jest --ci --selectProjects conformance --runInBand "$@"
