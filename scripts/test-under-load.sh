#!/usr/bin/env bash
# Runs `npm test` while two CPU-bound processes compete for the CPU, as on a busy 2-core machine, and
# repeats it RUNS times (default 1; the guarantee is 5 in a row). Stops at the first red run.
#   scripts/test-under-load.sh [RUNS]        (npm run test:under-load -- 5)
# Exit code: 0 when every run passed.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-1}"

burners=()
stop_burners() {
  # Only the processes this script started, by their ids.
  for pid in "${burners[@]}"; do kill "$pid" 2>/dev/null || true; done
}
trap stop_burners EXIT INT TERM
for _ in 1 2; do
  node -e 'for (;;) {}' &
  burners+=("$!")
done
echo "test-under-load: CPU burners ${burners[*]} on $(nproc) cores; ${runs} run(s) of npm test"

for ((i = 1; i <= runs; i++)); do
  started=$(date +%s)
  if npm test; then
    echo "test-under-load: run ${i}/${runs} passed in $(($(date +%s) - started)) s"
  else
    echo "test-under-load: run ${i}/${runs} FAILED after $(($(date +%s) - started)) s"
    exit 1
  fi
done
echo "test-under-load: ${runs} of ${runs} runs passed under load"
