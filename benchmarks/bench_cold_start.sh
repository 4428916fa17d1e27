#!/usr/bin/env bash
# Cold-start figures for issue 11, each in a fresh process: three things on the seed page (twice), the
# first-ever `briefbot digest` (empty model cache: the GGUF is assembled and sha256-checked; empty SQLite
# database: the bundled samples), then the next digest. Run it from the repository root in the virtualenv
# a user would have (the default install: no torch), on a quiet machine:
#   bash benchmarks/bench_cold_start.sh [SEED_FILE]
set -u
SEED=${1:-../shared/fixtures/trump_musk_x_conversation.txt}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
CACHE=${BRIEFBOT_MODEL_CACHE:-$HOME/.cache/briefbot/models}
echo "load: $(uptime)"
for i in 1 2; do
  /usr/bin/time -f "three things, seed page: %e s wall, %M KB peak RSS" \
    python -m bot summarize "$SEED" --method three-things --json >"$TMP/seed.json" 2>"$TMP/err"
  tail -1 "$TMP/err"
  echo "  last model call: $(cat "$CACHE/last-call.json" 2>/dev/null)"
done
export BRIEFBOT_MODEL_CACHE="$TMP/cache" BRIEFBOT_DATABASE_URL="sqlite:///$TMP/db.sqlite"
/usr/bin/time -f "first-ever digest: %e s wall, %M KB peak RSS" python -m bot digest >/dev/null 2>"$TMP/err"
tail -1 "$TMP/err"
/usr/bin/time -f "next digest: %e s wall, %M KB peak RSS" python -m bot digest >/dev/null 2>"$TMP/err"
tail -1 "$TMP/err"
