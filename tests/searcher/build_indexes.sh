#!/bin/sh
# build_indexes.sh - build the searcher tests' indexes with the real sou-index:
#   hand-index:   tests/searcher/corpus + words/corpus (hand-checked expectations),
#                 its shards kept (--no-compact: the CLI and retry tests open one)
#   oracle-index: corpus/sample + tests/searcher/corpus (oracle test)
#   oracle-index-positions: the same with positions (searcher_weights)
# Both oracle indexes also hold positions/: passages that hold every term
# of a phrase but not the phrase, and passages that open with a repeated
# term (Xapian 1.4.22 stores a position list {0, 1} as {1}).
# words/corpus holds words that ICU's Traditional->Simplified word rules
# convert differently from the per-character fold (螢幕 > 荧幕, 計畫 > 计划,
# 沈默 > 沉默). The oracle folds whole passages with ICU's rules, sou folds
# per character and tries the rule words as query alternatives, so the two
# agree on whole words (hand-checked) but not on part of one (沈 alone, 划
# against 計畫): those passages stay out of the oracle's index.
# usage: build_indexes.sh SOU_INDEX TEST_CORPUS SAMPLE_CORPUS OUTDIR
set -eu
souindex=$1 corpus=$2 sample=$3 out=$4
rm -rf "$out/hand-index" "$out/oracle-index" "$out/oracle-index-positions"
"$souindex" --quiet --no-compact --index "$out/hand-index" "$corpus" "$(dirname "$corpus")/words/corpus"
"$souindex" --quiet --index "$out/oracle-index" "$sample" "$corpus" "$(dirname "$corpus")/positions"
"$souindex" --quiet --positions --index "$out/oracle-index-positions" "$sample" "$corpus" \
  "$(dirname "$corpus")/positions"
