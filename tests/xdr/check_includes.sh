#!/usr/bin/env bash
# Fails when a file under xdr/ includes a header that is neither from xdr/ nor from the standard library.
set -euo pipefail
bad=$(grep -rhoE '#include [<"][^>"]+[>"]' "$1" --include='*.hpp' --include='*.cpp' \
  | sed -E 's/#include [<"]([^>"]+)[>"]/\1/' | grep -vE '^xdr/' | grep -E '[./]' || true)
if [ -n "$bad" ]; then
  echo "non-standard includes in xdr/:"; echo "$bad"; exit 1
fi
echo "xdr/ includes only xdr/ and standard headers"
