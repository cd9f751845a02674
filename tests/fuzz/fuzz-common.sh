# fuzz-common.sh - shared by ci-fuzz and run-long: configure + build the
# libFuzzer targets (clang, -DSOU_FUZZ=ON) and run one target for a budget.
# Sourced, not executed. Expects $root (repo) and $build (build dir).

fuzz_configure() {
    CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DSOU_FUZZ=ON \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build.cmake.log" 2>&1 || {
        cat "$build.cmake.log" >&2
        echo "fuzz: cmake configure of $build failed" >&2
        return 1
    }
}

# Targets that exist in this tree: every tests/fuzz/fuzz_<t>.c whose part has
# landed (CMake only defines fuzz_<t> then).
fuzz_available_targets() {
    local t
    for src in "$root"/tests/fuzz/fuzz_*.c; do
        t=$(basename "$src" .c); t=${t#fuzz_}
        if grep -q "^fuzz_${t}:" "$build/Makefile" 2>/dev/null; then
            echo "$t"
        fi
    done
}

fuzz_build() {
    make -C "$build" -j2 "${@/#/fuzz_}" >"$build.make.log" 2>&1 || {
        tail -50 "$build.make.log" >&2
        echo "fuzz: build failed" >&2
        return 1
    }
}

# fuzz_run TARGET SECONDS [extra libFuzzer flags...]
# Fuzzes with a working corpus in $build/fuzz-corpus/TARGET (new inputs land
# there), seeded from tests/fuzz/corpus/TARGET (read only). A crasher is
# saved in $build/fuzz-crashes/TARGET/. Prints one summary line; returns the
# fuzzer's status.
fuzz_run() {
    local t=$1 secs=$2; shift 2
    local work="$build/fuzz-corpus/$t" crashes="$build/fuzz-crashes/$t"
    local log="$build/fuzz-logs/$t.log"
    mkdir -p "$work" "$crashes" "$(dirname "$log")"
    local rc=0
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        "$build/tests/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=20 \
        -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$crashes/" "$@" \
        "$work" "$root/tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
    local execs units
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    units=$(find "$work" -type f | wc -l)
    printf 'fuzz %-10s %10s executions in %ss, %s new corpus inputs, status %d\n' \
        "$t" "${execs:-?}" "$secs" "$units" "$rc"
    if [ "$rc" -ne 0 ]; then
        grep -E 'ERROR|SUMMARY|property violated|Test unit written' "$log" | head -20 >&2
        echo "fuzz: $t failed; log: $log; crasher(s):" >&2
        ls -1 "$crashes" >&2
        echo "fuzz: reproduce with $build/tests/fuzz/fuzz_$t <crasher>; after the fix," \
             "keep it: cp <crasher> $root/tests/fuzz/corpus/$t/" >&2
    fi
    return "$rc"
}
