#!/usr/bin/env bash
# Fetches Oniguruma 6.9.10 (Debian's source package libonig 6.9.10, unstable): the Oniguruma that HF tokenizers
# bundles has Unicode 16 tables, and Debian 12's libonig 6.9.8 (Unicode 15) classifies letters added since then
# differently in \p{L} / \p{N}, which changes ids. The native and the WASM builds compile it (cmake/onig.cmake).
# Only the upstream tarball is taken, checked against the SHA256 of the package's source index. Cached in
# .cache/onig-src; idempotent. Prints the source dir.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest=$root/.cache/onig-src
if [ -f "$dest/.complete" ]; then echo "$dest"; exit 0; fi
work=$root/.cache/onig-src.tmp
rm -rf "$work" && mkdir -p "$work/apt/lists/partial" "$work/apt/sources" "$work/dl"
echo "deb-src http://deb.debian.org/debian sid main" > "$work/apt/sources/src.list"
aptopts=(-o "Dir::Etc::SourceParts=$work/apt/sources" -o "Dir::Etc::SourceList=/dev/null"
         -o "Dir::State::Lists=$work/apt/lists")
apt-get "${aptopts[@]}" update -qq >&2
line=$(apt-get "${aptopts[@]}" source --print-uris libonig=6.9.10-1 | grep "libonig_6.9.10.orig.tar")
url=$(echo "$line" | awk '{print $1}' | tr -d "'")
sha=$(echo "$line" | awk '{print $4}' | sed 's/^SHA256://')
curl -sfSL -o "$work/dl/onig.tar.gz" "$url"
echo "$sha  $work/dl/onig.tar.gz" | sha256sum -c --quiet - >&2
mkdir -p "$work/src" && tar -xf "$work/dl/onig.tar.gz" -C "$work/src" --strip-components=1
[ -f "$work/src/src/regexec.c" ] || { echo "src/regexec.c not found in $url" >&2; exit 1; }
rm -rf "$dest" && mv "$work/src" "$dest" && rm -rf "$work" && touch "$dest/.complete"
echo "$dest"
