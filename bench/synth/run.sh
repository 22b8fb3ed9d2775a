#!/bin/sh
# bench/synth/run.sh: the CPU Nemotron-H engine on a ~160M-parameter model
# with the 9B layer pattern (bench/synth/nemotron-h-150m.json), random weights.
#
# The "peers" here are the machine's own limits, measured in the same run by
# `corpusd bench-gen` (the issue's yardsticks):
#  - batch-1 decode tokens/s as a fraction of (memory read bandwidth / bytes
#    read per token: the weights (bf16, then fp32) except the embedding
#    table, plus the SSM, conv and KV state); target >= 60%;
#  - prefill tokens/s at batch 8 x 512 as a fraction of the OpenBLAS sgemm
#    peak (2048^3) measured here.
# No external engine runs Nemotron-H on CPU from Debian packages, so there is
# no third-party peer.
#
#   sh bench/synth/run.sh            full run (prefill 8 x 512)
#   QUICK=1 sh bench/synth/run.sh    prefill 2 x 128 (smoke test)
set -u
cd "$(dirname "$0")/../.." || exit 2
CORPUSD=${CORPUSD:-bin/corpusd}
[ -x "$CORPUSD" ] || make MODE=rel all >/dev/null || exit 1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
B=8; L=512
[ -n "${QUICK:-}" ] && { B=2; L=128; }
echo "-- decode, batch 1 (prompt 32, 32 new tokens), bf16 weights"
"$CORPUSD" bench-gen --config bench/synth/nemotron-h-150m.json --random-weights --dtype bf16 --batch 1 --prompt-len 32 --gen-len 32 2>/dev/null | tee "$tmp/decb.txt" || exit 1
echo "-- decode, batch 1 (prompt 32, 32 new tokens), fp32 weights"
"$CORPUSD" bench-gen --config bench/synth/nemotron-h-150m.json --random-weights --batch 1 --prompt-len 32 --gen-len 32 2>/dev/null | tee "$tmp/dec.txt" || exit 1
echo "-- prefill, batch $B x $L"
"$CORPUSD" bench-gen --config bench/synth/nemotron-h-150m.json --random-weights --batch $B --prompt-len $L --gen-len 2 2>/dev/null | tee "$tmp/pre.txt" || exit 1
dec=$(sed -n 's/^decode: [^:]*: \([0-9.]*\) tokens\/s.* \([0-9]*\)% of roofline.*/\1 \2/p' "$tmp/dec.txt")
decb=$(sed -n 's/^decode: [^:]*: \([0-9.]*\) tokens\/s.* \([0-9]*\)% of roofline.*/\1 \2/p' "$tmp/decb.txt")
pre=$(sed -n 's/^prefill: .* = \([0-9.]*\) tokens\/s, .* = \([0-9]*\)% of the sgemm peak/\1 \2/p' "$tmp/pre.txt")
echo
printf '%-34s %14s %12s %8s\n' "measure" "tokens/s" "vs limit" "target"
printf '%-34s %14s %11s%% %8s\n' "decode batch 1 bf16 (mem roofline)" "${decb% *}" "${decb#* }" ">=60%"
printf '%-34s %14s %11s%% %8s\n' "decode batch 1 fp32 (mem roofline)" "${dec% *}" "${dec#* }" ">=60%"
printf '%-34s %14s %11s%% %8s\n' "prefill $B x $L (sgemm peak)" "${pre% *}" "${pre#* }" "-"
echo "(2-core machine shared with other jobs: timings are noisy)"
