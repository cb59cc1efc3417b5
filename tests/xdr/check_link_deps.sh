#!/usr/bin/env bash
# Fails when the probe binary needs a shared library other than the C++ runtime, libc, libm, libgcc
# (and the sanitizer runtimes of a sanitizer build).
set -euo pipefail
needed=$(readelf -d "$1" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
status=0
for lib in $needed; do
  case "$lib" in
    libstdc++.so.*|libc.so.*|libm.so.*|libgcc_s.so.*|ld-linux*|libasan.so.*|libubsan.so.*) ;;
    *) echo "xdr pulls in $lib"; status=1 ;;
  esac
done
echo "needed: $(echo $needed)"
exit $status
