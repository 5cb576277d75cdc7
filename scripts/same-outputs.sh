#!/usr/bin/env bash
# Proof that a refactor changed no behaviour: every output wasm, sidecar and report of
# `transform`, in each mode (default, allowRawGrowth, passiveData start/deferred/
# sidecar, and keepNames with allowRawGrowth, where the name section is edited),
# for every bench-corpus module and every module of the spec .wast scripts,
# is byte-identical at BASE_REV and in this working tree.
#
#   scripts/same-outputs.sh BASE_REV SPEC_DIR [CORPUS_WASM_DIR]
#
# SPEC_DIR holds the spec .wast scripts (searched recursively); CORPUS_WASM_DIR
# defaults to bench/corpus/wasm (`npm run bench:corpus`). The digest tool
# (bench/output-digest) is built from this tree's source against both libraries.
# Exit status 0 when the listings are identical; the diff otherwise.
set -euo pipefail
base_rev=${1:?usage: scripts/same-outputs.sh BASE_REV SPEC_DIR [CORPUS_WASM_DIR]}
spec_dir=$(realpath "${2:?usage: scripts/same-outputs.sh BASE_REV SPEC_DIR [CORPUS_WASM_DIR]}")
repo=$(git rev-parse --show-toplevel)
corpus_dir=$(realpath "${3:-$repo/bench/corpus/wasm}")
[ -d "$corpus_dir" ] || { echo "no corpus at $corpus_dir: run \`npm run bench:corpus\` first" >&2; exit 2; }

work=$(mktemp -d)
base_tree="$work/base"
cleanup() { git -C "$repo" worktree remove --force "$base_tree" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# One target dir for both builds: the dependencies compile once.
export CARGO_TARGET_DIR="$repo/target/output-digest"
mkdir -p "$CARGO_TARGET_DIR"
listing() { # <library tree> <listing file>
  cargo build --quiet --release --manifest-path "$1/bench/output-digest/Cargo.toml"
  "$CARGO_TARGET_DIR/release/output-digest" "$corpus_dir" "$spec_dir" > "$2"
}
# A base revision's listing does not change: it is kept, keyed by commit and inputs
# (delete target/output-digest/base-*.tsv to rebuild it).
base_sha=$(git -C "$repo" rev-parse --verify "$base_rev^{commit}")
inputs_key=$( (echo "$spec_dir $corpus_dir"; ls -l "$corpus_dir"; cat "$repo/bench/output-digest/src/main.rs") | sha256sum | cut -c1-12)
base_listing="$CARGO_TARGET_DIR/base-$base_sha-$inputs_key.tsv"
if [ ! -s "$base_listing" ]; then
  git -C "$repo" worktree add --quiet --detach "$base_tree" "$base_sha"
  # The same digest source, next to the base revision's library.
  rm -rf "$base_tree/bench/output-digest"
  cp -r "$repo/bench/output-digest" "$base_tree/bench/output-digest"
  listing "$base_tree" "$work/base.tsv"
  mv "$work/base.tsv" "$base_listing"
else
  echo "base listing of $base_rev kept from an earlier run: $base_listing" >&2
fi
listing "$repo" "$CARGO_TARGET_DIR/head.tsv"
cp "$base_listing" "$work/base.tsv"
cp "$CARGO_TARGET_DIR/head.tsv" "$work/head.tsv"
if diff "$work/base.tsv" "$work/head.tsv"; then
  echo "identical: $(wc -l < "$work/head.tsv") (module, mode) lines at $base_rev and in the working tree"
else
  echo "DIFFERENT: see the diff above ($base_listing against $CARGO_TARGET_DIR/head.tsv)" >&2
  exit 1
fi
