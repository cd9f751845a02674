#!/bin/sh
# test_analyze_cmd.sh - the analyze command (JSON Lines output) end to end:
# Traditional and Simplified give the same lines, full width folds, stdin
# with NUL bytes is read whole. Usage: test_analyze_cmd.sh ANALYZE-PROGRAM
set -u
prog=$1
fail=0
t=$("$prog" 網絡設定) && s=$("$prog" 网络设定) || { echo "analyze failed"; exit 1; }
[ -n "$t" ] && [ "$t" = "$s" ] || { echo "網絡設定 and 网络设定 differ:"; echo "$t"; echo "$s"; fail=1; }
"$prog" ＵＳＢ | grep -q '^{"term":"usb","pos":0,"start":0,"end":9,"kind":"word"}$' ||
  { echo "ＵＳＢ does not fold to usb"; fail=1; }
n=$(printf 'alpha\000beta' | "$prog" --no-stem | grep -c '"kind":"word"')
[ "$n" = 2 ] || { echo "NUL-separated stdin: $n words, want 2"; fail=1; }
"$prog" --identity | grep -q '^sou-analyzer/1 icu/' || { echo "identity"; fail=1; }
"$prog" 'say "hi"\' | grep -q '"term":"hi"' || { echo "quoting"; fail=1; }
"$prog" --bogus >/dev/null 2>&1; [ $? = 2 ] || { echo "usage error must exit 2"; fail=1; }
exit $fail
