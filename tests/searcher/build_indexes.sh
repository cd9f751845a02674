#!/bin/sh
# build_indexes.sh - build the searcher tests' indexes with the real sou-index:
#   hand-index:   tests/searcher/corpus only (hand-checked expectations)
#   oracle-index: corpus/sample + tests/searcher/corpus (oracle test)
# usage: build_indexes.sh SOU_INDEX TEST_CORPUS SAMPLE_CORPUS OUTDIR
set -eu
souindex=$1 corpus=$2 sample=$3 out=$4
rm -rf "$out/hand-index" "$out/oracle-index"
"$souindex" --quiet --index "$out/hand-index" "$corpus"
"$souindex" --quiet --index "$out/oracle-index" "$sample" "$corpus"
