#!/bin/sh
# Fails unless every dynamic symbol libferry.so defines is ferry_* (or its version node), the SONAME is
# libferry.so.0, and the exported symbols with their versions are exactly the committed list
# libferry.symbols next to this script (an ABI change must change that file in the same commit).
set -eu
lib="$1"
bad=$(nm -D --defined-only "$lib" | awk '{print $NF}' | sed 's/@.*//' | grep -v -e '^ferry_' -e '^FERRY_0$' || true)
if [ -n "$bad" ]; then
  echo "symbols exported beyond ferry_*:"; echo "$bad"; exit 1
fi
for f in ferry_open ferry_upload_open ferry_upload_write ferry_upload_commit ferry_upload_abort ferry_read \
         ferry_fd ferry_process ferry_put_async ferry_get_async ferry_delete_async ferry_stat_async; do
  nm -D --defined-only "$lib" | grep -q " T $f@@FERRY_0\$" || { echo "$f missing from FERRY_0"; exit 1; }
done
readelf -d "$lib" | grep -q 'SONAME.*\[libferry\.so\.0\]' || { echo "wrong SONAME"; exit 1; }
expected="$(dirname "$0")/libferry.symbols"
actual=$(nm -D --defined-only "$lib" | awk '{print $NF}' | grep -v '^FERRY_0$' | LC_ALL=C sort)
if [ "$actual" != "$(LC_ALL=C sort "$expected")" ]; then
  echo "exported symbols differ from $expected:"
  echo "$actual" | diff "$expected" - || true
  exit 1
fi
echo "exports ok: $(nm -D --defined-only "$lib" | grep -c ' T ferry_') ferry_* functions"
