#!/usr/bin/env bash
# Builds the real mixed Chinese/English corpus from Debian documentation packages:
# downloads the .debs (apt-get download, no root needed), unpacks them (dpkg -x) and
# renders man pages (man -l) into a cache, then writes the source documents, one JSON
# Lines file (id, title, text) and meta.json into the output directory.
# Usage: corpus/build.sh [--cache DIR] [--out DIR]   (see corpus/README.md)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="$here/cache"
out="$here/real"
man_langs=(zh_CN)

usage() {
    echo "usage: $0 [--cache DIR] [--out DIR] [--with-man-zh-tw]" >&2
    echo "  --cache DIR        downloaded .debs, unpacked trees, rendered man pages (default corpus/cache)" >&2
    echo "  --out DIR          docs/, corpus.jsonl, meta.json (default corpus/real)" >&2
    echo "  --with-man-zh-tw   also the 703 Traditional (zh_TW) man pages, +5.3 MB" >&2
}

while [ $# -gt 0 ]; do
    case "$1" in
        --cache) [ $# -ge 2 ] || { usage; exit 2; }; cache="$2"; shift 2 ;;
        --cache=*) cache="${1#--cache=}"; shift ;;
        --out) [ $# -ge 2 ] || { usage; exit 2; }; out="$2"; shift 2 ;;
        --out=*) out="${1#--out=}"; shift ;;
        --with-man-zh-tw) man_langs=(zh_CN zh_TW); shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1" >&2; usage; exit 2 ;;
    esac
done

for tool in apt-get dpkg man python3 flock; do
    command -v "$tool" >/dev/null || { echo "build.sh: '$tool' not found (Debian packages: apt, dpkg, man-db groff-base, python3)" >&2; exit 1; }
done

packages=(libreoffice-help-zh-cn debian-handbook debian-reference-zh-cn
          debian-reference-zh-tw manpages-zh fortunes-zh)

start=$(date +%s)
mkdir -p "$cache/debs" "$cache/unpacked" "$cache/man-txt"
cache="$(cd "$cache" && pwd)"
# One build per cache at a time: a second run waits instead of trampling the first.
exec 9>"$cache/.lock"
flock 9

# 1. Download each package once. apt-get download writes into the current directory.
missing=()
for p in "${packages[@]}"; do
    compgen -G "$cache/debs/${p}_*.deb" >/dev/null || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "downloading: ${missing[*]}" >&2
    (cd "$cache/debs" && apt-get download "${missing[@]}" >&2) || {
        echo "build.sh: apt-get download failed; run 'apt-get update' (as root) once so package lists exist" >&2
        exit 1
    }
fi

# 2. Unpack each .deb once (a stamp file names the .deb it came from).
for p in "${packages[@]}"; do
    debs=("$cache"/debs/"${p}"_*.deb)
    deb="${debs[-1]}"   # newest version if several were downloaded over time
    dest="$cache/unpacked/$p"
    if [ ! -f "$dest/.from" ] || [ "$(cat "$dest/.from")" != "$(basename "$deb")" ]; then
        echo "unpacking $(basename "$deb")" >&2
        rm -rf "$dest.tmp" "$dest"
        mkdir -p "$dest.tmp"
        dpkg -x "$deb" "$dest.tmp"
        basename "$deb" >"$dest.tmp/.from"
        mv "$dest.tmp" "$dest"
    fi
done

# 3. Render man pages to text once per page: UTF-8 locale, 80 columns, no
# hyphenation for man(7) pages (mdoc pages still hyphenate: doc.tmac resets it).
# Pages go in on stdin: given a path under .../zh_CN/ or .../zh_TW/, man-db guesses
# GBK/BIG5 and loads groff's zh.tmac, and troff 1.22.4 then loops forever on some
# pages (df.1). The pages are UTF-8; from stdin man-db takes the locale's UTF-8.
export LANG=C.UTF-8 LC_ALL=C.UTF-8 MANWIDTH=80 MANROFFOPT="-rHY=0" MAN_KEEP_FORMATTING=
export MANPAGER=cat PAGER=cat
mandir="$cache/unpacked/manpages-zh/usr/share/man"
render_dir="$cache/man-txt/$(cat "$cache/unpacked/manpages-zh/.from")"
mkdir -p "$render_dir"
render_one() {
    # $1: page path relative to $mandir; writes $render_dir/<page without .gz>.txt
    local rel="$1" dst="$render_dir/${1%.gz}.txt"
    [ -f "$dst" ] && return 0
    mkdir -p "$(dirname "$dst")"
    gzip -dc "$mandir/$rel" | timeout 120 man -l - >"$dst.tmp" 2>/dev/null || true
    mv "$dst.tmp" "$dst"
}
export -f render_one
export mandir render_dir
# Symlinked pages are aliases of another page: skip them.
(cd "$mandir" && find "${man_langs[@]}" -type f -name '*.gz' -print0) |
    xargs -0 -n 25 -P 2 bash -c 'for f in "$@"; do render_one "$f"; done' _

# 4. Documents, corpus.jsonl and meta.json (rebuilt in OUT.tmp, then swapped in).
mkdir -p "$(dirname "$out")"
tmp="$(mktemp -d "$out.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
summary=$(python3 "$here/extract.py" --cache "$cache" --man-txt "$render_dir" \
          --man-langs "${man_langs[*]}" --out "$tmp" --final-out "$out")
chmod 755 "$tmp"
rm -rf "$out"
mv "$tmp" "$out"
echo "$summary in $(( $(date +%s) - start )) s"
