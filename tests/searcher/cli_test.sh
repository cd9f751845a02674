#!/bin/sh
# cli_test.sh - sou-search end to end on the hand-checked test index:
# human output (plain and coloured), --json lines and summary lines, batch
# mode, --count, -n 0, --collapse, --explain, --shard, --allow-partial with
# an unreachable remote shard, errors and exit codes.
# usage: cli_test.sh SOU_SEARCH HAND_INDEX_DIR MERGED_INDEX_DIR
# (the hand index keeps its shards; the merged one is sou-index's default:
# one database without termlists)
set -u
S=$1 IDX=$2 MERGED=$3
fails=0 checks=0
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
ok() { checks=$((checks + 1)); if ! eval "$1"; then fails=$((fails + 1)); echo "FAIL: $2" >&2; sed 's/^/  | /' "$out" "$err" | head -20 >&2; fi; }
run() { "$S" "$@" >"$out" 2>"$err"; echo $? >"$out.rc"; }
rc() { cat "$out.rc"; }

# human, plain (stdout is not a terminal)
run --index "$IDX" "dog -brown"
ok '[ "$(rc)" = 0 ] && grep -q "A dog barks at the mail carrier." "$out"' "plain human output"
ok '! grep -q "$(printf "\033")" "$out"' "no colour when stdout is not a terminal"
ok 'grep -q "manual.txt #2" "$out" && grep -q "Manual of the quick tools" "$out"' "source, ordinal, title shown"
# forced colour puts the match in bold colour; NO_COLOR does not override --color=always
run --index "$IDX" --color=always barks
ok 'grep -qF "$(printf "\033[1;31mbarks\033[0m")" "$out"' "highlight in bold colour"

# options may follow the query; a query starting with '-' goes after --
run --index "$IDX" barks --count
ok '[ "$(cat "$out")" = 1 ]' "option after the query"
run --index "$IDX" --count -- -zzqqxx
total=$(cat "$out")
run --index "$IDX" --count -- -dog
ok '[ "$(cat "$out")" = $((total - 4)) ]' "-- then a negative query (everything but 4)"

# JSON lines: results then one summary line
run --index "$IDX" --json 網絡連線
ok '[ "$(wc -l <"$out")" = 2 ]' "json: one result + summary"
ok 'head -1 "$out" | grep -q "\"text\":\"使用Xapian建立全文索引時，網絡連線必須穩定。\""' "json text"
ok 'head -1 "$out" | grep -qF "\"highlights\":[[36,48]]"' "json highlight byte offsets of 網絡連線"
ok 'tail -1 "$out" | grep -q "\"done\":true,\"count\":1"' "json summary line"
for k in source ordinal title score start end text snippet highlights; do
  ok 'head -1 "$out" | grep -q "\"$k\":"' "json has $k"
done

# -n 0 is every match; -n 2 cuts; --offset pages
run --index "$IDX" --json -n 0 网
ok '[ "$(grep -c "\"rank\"" "$out")" = 9 ]' "-n 0 returns all 9"
run --index "$IDX" --json -n 2 --offset 1 网
ok '[ "$(grep -c "\"rank\"" "$out")" = 2 ] && head -1 "$out" | grep -q "\"rank\":2"' "-n 2 --offset 1"

# --count, --collapse
run --index "$IDX" --count dog
ok '[ "$(cat "$out")" = 4 ]' "--count dog = 4"
run --index "$IDX" --count --collapse dog
ok '[ "$(cat "$out")" = 2 ]' "--count --collapse dog = 2"

# --explain: analyzed terms, Xapian query, BM25 parts
run --index "$IDX" --explain -n 1 "quick fox"
ok 'grep -q "terms: Zquick(stem) Zfox(stem)" "$out" && grep -q "xapian: Query(" "$out" && grep -q "Zfox .*idf=" "$out"' "--explain"
# ... and on a merged database, which reads each wdf from the posting list
run --index "$MERGED" --explain -n 1 网络
ok '[ "$(rc)" = 0 ] && [ ! -s "$err" ] && grep -q "网络 .*wdf=[1-9].*idf=" "$out"' "--explain on a merged index"

# batch mode: one answer per stdin line, split by the summary lines
printf 'dog\n網絡\n(broken\nfox OR barks\n' | "$S" --index "$IDX" --json >"$out" 2>"$err"
echo $? >"$out.rc"
ok '[ "$(grep -c "\"done\":true" "$out")" = 4 ]' "batch: 4 summary lines"
ok 'grep -q "\"query\":\"(broken\",\"done\":true,\"count\":0.*\"error\":\"unbalanced parenthesis" "$out"' "batch: error in its summary line"
ok '[ "$(rc)" = 1 ]' "batch with a bad query exits 1"
printf 'dog\nfox\n' | "$S" --index "$IDX" >"$out" 2>"$err"
ok 'grep -q "^== dog" "$out" && grep -q "^== fox" "$out"' "batch human headers"

# shards given one by one = the index
run --shard "$IDX/shard-0" --shard "$IDX/shard-1" --count dog
ok '[ "$(cat "$out")" = 4 ]' "--shard x2 count"

# an unreachable remote shard: error naming it, or partial answer with --allow-partial
run --index "$IDX" --shard tcp:127.0.0.1:1 --connect-timeout 500 dog
ok '[ "$(rc)" = 1 ] && grep -q "tcp:127.0.0.1:1" "$err"' "unreachable shard: error names it"
run --index "$IDX" --shard tcp:127.0.0.1:1 --connect-timeout 500 --allow-partial --json dog
ok '[ "$(rc)" = 0 ] && tail -1 "$out" | grep -q "\"missing_shards\":\[\"tcp:127.0.0.1:1\"\]"' "allow-partial json"
ok '[ "$(grep -c "\"rank\"" "$out")" = 4 ]' "allow-partial answers from the rest"
run --index "$IDX" --shard tcp:127.0.0.1:1 --connect-timeout 500 --allow-partial dog
ok 'grep -q "partial results: shard tcp:127.0.0.1:1" "$out"' "allow-partial human"

# errors
run --index "$IDX" '"unclosed'
ok '[ "$(rc)" = 1 ] && grep -q "unterminated quote at column 1" "$err"' "syntax error message"
run --index "$IDX" --lenient '"unclosed'
ok '[ "$(rc)" = 0 ]' "--lenient accepts it"
run --index /nonexistent/index dog
ok '[ "$(rc)" = 1 ] && [ -s "$err" ]' "missing index"
run dog
ok '[ "$(rc)" = 2 ]' "no --index is a usage error"
run --index "$IDX" -n x dog
ok '[ "$(rc)" = 2 ]' "bad number"
rm -f "$out.rc"
echo "$checks checks, $fails failures"
[ "$fails" = 0 ]
