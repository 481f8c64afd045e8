#!/usr/bin/env bash
# Fetches utf8proc's Debian source package (the same upstream version as the native libutf8proc-dev) for the
# WASM build, which must compile it with emcc. Cached in .cache/utf8proc-src; idempotent. Prints the source dir.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest=$root/.cache/utf8proc-src
if [ -f "$dest/.complete" ]; then echo "$dest"; exit 0; fi
work=$root/.cache/utf8proc-src.tmp
rm -rf "$work" && mkdir -p "$work/apt/lists/partial" "$work/apt/sources" "$work/dl"
src=/etc/apt/sources.list.d/debian.sources
if [ -f "$src" ]; then
  sed 's/^Types: deb$/Types: deb-src/' "$src" > "$work/apt/sources/src.sources"
else
  echo "deb-src http://deb.debian.org/debian bookworm main" > "$work/apt/sources/src.list"
fi
aptopts=(-o "Dir::Etc::SourceParts=$work/apt/sources" -o "Dir::Etc::SourceList=/dev/null"
         -o "Dir::State::Lists=$work/apt/lists")
apt-get "${aptopts[@]}" update -qq >&2
(cd "$work/dl" && apt-get "${aptopts[@]}" source --download-only utf8proc >&2)
orig=$(ls "$work"/dl/utf8proc_*.orig.tar.* | head -1)
mkdir -p "$work/src" && tar -xf "$orig" -C "$work/src" --strip-components=1
[ -f "$work/src/utf8proc.c" ] || { echo "utf8proc.c not found in $orig" >&2; exit 1; }
rm -rf "$dest" && mv "$work/src" "$dest" && rm -rf "$work" && touch "$dest/.complete"
echo "$dest"
