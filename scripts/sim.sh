#!/bin/sh
# Starts the spdk_tgt v26.05 simulator in the foreground (Ctrl-C / SIGTERM stops it).
#   scripts/sim.sh --socket /tmp/a.sock --name A [--mem-mib 1024 [--no-huge]] [--hugepages-free N] [--quiet]
# Builds first when dist/spdk/sim/main.js is missing (or SIM_REBUILD=1). See spdk/sim/README.md.
set -eu
cd "$(dirname "$0")/.."
if [ ! -f dist/spdk/sim/main.js ] || [ "${SIM_REBUILD:-}" = 1 ]; then
  npx tsc -p tsconfig.json || [ -f dist/spdk/sim/main.js ]
fi
exec node dist/spdk/sim/main.js "$@"
