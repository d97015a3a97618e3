#!/bin/sh
# Generates the TypeScript types of the node API (src/api/generated/) from rpc-schemas/proto:
# node.proto (disks, replicas, snapshots), engine.proto (engines) and backup.proto (backups).
#
#   scripts/gen-proto-types.sh              regenerate src/api/generated/ (npm run gen:proto)
#   scripts/gen-proto-types.sh --check [DIR] fail, naming each stale, missing or extra file, when
#                                          DIR (default src/api/generated) differs from a fresh
#                                          generation (npm run check:proto; CI runs it via vitest)
#
# The flags must match LOADER_OPTIONS in src/api/proto.ts: the types describe what the loader
# produces at run time.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

mode=write
target=src/api/generated
if [ "${1:-}" = "--check" ]; then
  mode=check
  target=${2:-$target}
elif [ $# -gt 0 ]; then
  echo "usage: $0 [--check [DIR]]" >&2
  exit 2
fi

fresh=$(mktemp -d "${TMPDIR:-/tmp}/proto-types.XXXXXX")
trap 'rm -rf "$fresh"' EXIT INT TERM

# Run from the repository root with a relative include dir so the "Original file" comments in the
# output do not depend on where the checkout lives.
node "$root/node_modules/@grpc/proto-loader/build/bin/proto-loader-gen-types.js" \
  --longs Number --enums String --defaults --oneofs --includeComments \
  --grpcLib @grpc/grpc-js --importFileExtension .js \
  -I rpc-schemas/proto -O "$fresh" \
  spdk/conductor/v1/node.proto spdk/conductor/v1/engine.proto spdk/conductor/v1/backup.proto >/dev/null

if [ "$mode" = write ]; then
  rm -rf "$target"
  mkdir -p "$(dirname "$target")"
  cp -R "$fresh" "$target"
  echo "generated $target"
  exit 0
fi

stale=0
for file in $(cd "$fresh" && find . -type f | sort); do
  rel=${file#./}
  if [ ! -f "$target/$rel" ]; then
    echo "missing: $target/$rel" >&2
    stale=1
  elif ! cmp -s "$fresh/$rel" "$target/$rel"; then
    echo "stale: $target/$rel" >&2
    stale=1
  fi
done
if [ -d "$target" ]; then
  for file in $(cd "$target" && find . -type f | sort); do
    rel=${file#./}
    if [ ! -f "$fresh/$rel" ]; then
      echo "extra: $target/$rel" >&2
      stale=1
    fi
  done
fi
if [ $stale -ne 0 ]; then
  echo "the generated proto types are out of date with rpc-schemas/proto: run npm run gen:proto and commit src/api/generated" >&2
  exit 1
fi
echo "$target is current"
