#!/bin/sh
# Fails unless every dynamic symbol libferry.so defines is ferry_* (or its version node) and the SONAME
# is libferry.so.0.
set -eu
lib="$1"
bad=$(nm -D --defined-only "$lib" | awk '{print $NF}' | sed 's/@.*//' | grep -v -e '^ferry_' -e '^FERRY_0$' || true)
if [ -n "$bad" ]; then
  echo "symbols exported beyond ferry_*:"; echo "$bad"; exit 1
fi
nm -D --defined-only "$lib" | grep -q ' T ferry_open@@FERRY_0' || { echo "ferry_open missing"; exit 1; }
readelf -d "$lib" | grep -q 'SONAME.*\[libferry\.so\.0\]' || { echo "wrong SONAME"; exit 1; }
echo "exports ok: $(nm -D --defined-only "$lib" | grep -c ' T ferry_') ferry_* functions"
