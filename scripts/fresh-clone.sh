#!/usr/bin/env bash
# `npm run check:fresh-clone`: proves the README's two commands work on a fresh clone
# with nothing beside it. Clones the committed HEAD (uncommitted changes are not in
# it) into an empty temporary directory, runs `npm install && npm run demo`, then
# `npm test`, with CI=true and no stdin, and prints each command's exit status and the
# test counts. Exits non-zero if either command fails. Not part of `npm test` (it runs
# `npm test` itself); takes 10+ minutes, most of it building the Rust tests from scratch.
# FRESH_CLONE_KEEP=1 keeps the clone (it is kept anyway when a command fails).
set -uo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
head="$(git -C "$root" rev-parse HEAD)" || exit 1
if [ -n "$(git -C "$root" status --porcelain --untracked-files=no)" ]; then
  echo "fresh-clone: note: uncommitted changes in $root are not in the clone" >&2
fi

# The clone sits alone in a new directory: nothing beside it, no spec-suite checkout.
base="$(mktemp -d)"
dir="$base/clone"
git clone -q --no-local "$root" "$dir" && git -C "$dir" checkout -q --detach "$head" || {
  echo "fresh-clone: FAILED to clone $head into $dir" >&2
  exit 1
}
echo "fresh-clone: $head in $dir"

# A newcomer's shell: none of the npm_* variables of the `npm run` that started us,
# no target directory of ours, CI=true and no stdin.
for var in $(compgen -e | grep -i '^npm_'); do unset "$var"; done
unset CARGO_TARGET_DIR
export CI=true

run() { # run LOG COMMAND: runs COMMAND in the clone, output to the terminal and LOG
  local log="$base/$1"
  echo "fresh-clone: \$ $2"
  (cd "$dir" && bash -c "$2") </dev/null 2>&1 | tee "$log"
  return "${PIPESTATUS[0]}"
}

started=$SECONDS
run demo.log 'npm install && npm run demo'
demo=$?
demo_time=$((SECONDS - started))
started=$SECONDS
test=skipped
if [ "$demo" -eq 0 ]; then
  run test.log 'npm test'
  test=$?
fi
test_time=$((SECONDS - started))

# The counts, from cargo's `test result:` lines, node's TAP summary and the spec tables.
summary() {
  local log="$base/test.log"
  [ -f "$log" ] || return
  awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1) } }
       END { printf "  cargo test: %d passed, %d failed\n", p, f }' "$log"
  awk '/^# (tests|pass|fail|skipped) / { c[$2] = $3 }
       END { printf "  node --test: %d tests, %d passed, %d failed, %d skipped\n", c["tests"], c["pass"], c["fail"], c["skipped"] }' "$log"
  grep -E '^  (modules: |modules compared: |assertions checked)' "$log" | sed 's/^ */  spec: /'
}

echo
echo "== fresh clone of $head (nothing beside it) =="
echo "  npm install && npm run demo: exit $demo (${demo_time}s)"
echo "  npm test: exit $test (${test_time}s)"
summary
if [ "$demo" -ne 0 ] || [ "$test" != 0 ]; then
  echo "fresh-clone: FAILED; the clone and logs are kept in $base" >&2
  exit 1
fi
if [ "${FRESH_CLONE_KEEP:-}" = 1 ]; then
  echo "  kept: $base (demo.log, test.log, clone/)"
else
  rm -rf "$base"
fi
