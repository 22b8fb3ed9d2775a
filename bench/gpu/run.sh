#!/bin/sh
# bench/gpu/run.sh: the GPU check of issue #11, in one run of under 8
# minutes on a single H100/H200 (every step is time-boxed against a global
# deadline of DEADLINE seconds, 465 by default):
#  1. build (bin/corpusd, lib/corpusd-cuda.so, the unit tests);
#  2. the GPU tests (`make test-gpu`'s synth part): every CUDA kernel against
#     the CPU (backend-ops, incl. the tiled attention, batched decode,
#     bf16 state and device sampling), the tiny model end to end (logits,
#     32 greedy tokens, continuous batching) and CUDA-graph replay;
#  3. compute-sanitizer memcheck on the tiny model (forward, generation
#     with graphs and device sampling) and on the backend-ops tests;
#  4. `corpusd plan`'s GPU view (cudaMemGetInfo): the largest batch that
#     fits at context PROMPT + GEN, fp32 and bf16 SSM state;
#  5. `corpusd bench-gen` on the 9B config, random bf16 weights drawn on the
#     device, prompt PROMPT (8192) / generation GEN (1024), batch 1 and 8
#     (real prefills), 64 and the largest batch (one prefill copied to every
#     sequence: --shared-prompt), the largest again with bf16 SSM state;
#  6. a table: prefill tok/s, decode tok/s, ms per output token, decode
#     bandwidth, % of the HBM roofline (bytes of weights + state + KV read
#     per step over the copy bandwidth measured in the same run), and the
#     decode throughput against 1.2 x 794 tok/s.
# Targets (issue #11, one H100): decode at the largest batch >= 1.2 x 794
# tok/s (vLLM, 32k in / 1k out); batch-1 decode >= 70% of the HBM roofline.
#   PROMPT=2048 GEN=256 sh bench/gpu/run.sh     shorter run
set -u
cd "$(dirname "$0")/../.." || exit 2
PROMPT=${PROMPT:-8192}; GEN=${GEN:-1024}; CFG=${CFG:-configs/models/nemotron-nano-9b-v2.json}
BACKEND=${BACKEND:-cuda}   # BACKEND=cpu CFG=configs/models/nemotron-h-tiny.json: a dry run of the script itself
DEADLINE=${DEADLINE:-465}
T0=$(date +%s)
left() { echo $((DEADLINE - ($(date +%s) - T0))); }
# min(cap, time left - reserve), at least 5
box() { l=$(( $(left) - $2 )); [ "$l" -gt "$1" ] && l=$1; [ "$l" -lt 5 ] && l=5; echo "$l"; }
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,memory.free --format=csv,noheader

echo "== build ($(nproc) cores)"
if ! timeout "$(box 200 240)" make -j"$(nproc)" MODE=rel all unit >/tmp/corpusd-gpu-build.log 2>&1; then
  tail -20 /tmp/corpusd-gpu-build.log; echo "build failed or timed out"; exit 1
fi
[ -f lib/corpusd-cuda.so ] || { echo "lib/corpusd-cuda.so was not built (nvcc missing?)"; exit 1; }
echo "   built in $(( $(date +%s) - T0 )) s"

echo "== GPU tests"
CORPUSD_TEST_GPU=1 timeout "$(box 90 200)" ./build/rel/unit-tests synth >/tmp/corpusd-gpu-tests.log 2>&1
echo "   exit $?"
grep -aE '^(PASS|FAIL|SKIP)|relative|    ' /tmp/corpusd-gpu-tests.log | head -40

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
./bin/corpusd model-init --config configs/models/nemotron-h-tiny.json --seed 3 --dtype bf16 -o "$tmp/tiny" >/dev/null 2>&1
CS=$(command -v compute-sanitizer || { [ -x /usr/local/cuda/bin/compute-sanitizer ] && echo /usr/local/cuda/bin/compute-sanitizer; })
if [ -n "$CS" ] && [ "$(left)" -gt 260 ]; then
  echo "== compute-sanitizer memcheck (tiny model; backend-ops tests)"
  printf 'hello world\nthe quick brown fox\nonce upon a time\nlorem ipsum\n' >"$tmp/prompts.txt"
  for what in forward generate unit; do
    case $what in
      forward) set -- ./bin/corpusd forward --backend cuda --model "$tmp/tiny" \
                 --tokens 1,5,17,42,99,3,250,7,7,7,12,400,2,3,4,5,6,7,8,9 --logits "$tmp/l.f32" ;;
      generate) set -- ./bin/corpusd generate --backend cuda --model "$tmp/tiny" --prompts-file "$tmp/prompts.txt" \
                 --batch 3 --max-new-tokens 24 --temperature 0.8 --top-k 40 --top-p 0.9 --prefill-chunk 4 -o "$tmp/g.jsonl" ;;
      unit) set -- env CORPUSD_TEST_GPU=1 ./build/rel/unit-tests synth_backend_ops synth_cuda_ ;;
    esac
    timeout "$(box 60 230)" "$CS" --tool memcheck --target-processes all --error-exitcode 9 "$@" >"$tmp/cs.log" 2>&1
    rc=$?
    echo "   $what: exit $rc; $(grep -a 'ERROR SUMMARY' "$tmp/cs.log" | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
    [ $rc -ne 0 ] && grep -a -m5 -E 'Invalid|Error|error' "$tmp/cs.log" | sed 's/^/     /'
  done
else
  echo "== compute-sanitizer: skipped (${CS:-not installed}; $(left) s left)"
fi

echo "== plan (GPU view, context $((PROMPT + GEN + 1)))"
ctx=$((PROMPT + GEN + 1))
big() {
  timeout 60 ./bin/corpusd plan --config "$CFG" --context "$ctx" --prefill-chunk 8192 --state "$1" 2>/dev/null |
    sed -n 's/^GPU: largest batch at context [0-9]*: //p'
}
largest=$(big f32); largest_bf=$(big bf16)
echo "   largest batch: ${largest:-?} (fp32 state), ${largest_bf:-?} (bf16 state)"
largest=${largest:-64}; largest_bf=${largest_bf:-$largest}
[ "$largest" -gt 512 ] && largest=512
[ "$largest_bf" -gt 512 ] && largest_bf=512

echo "== bench-gen on $CFG, prompt $PROMPT, generation $GEN"
target=$(awk 'BEGIN{printf "%.0f", 1.2*794}')
printf '%-7s %-5s %13s %13s %9s %11s %9s %s\n' batch state "prefill tok/s" "decode tok/s" ms/token "decode GB/s" "% roofl." "vs 1.2x794"
runs="1:f32:0 8:f32:0 64:f32:1 $largest:f32:1 $largest_bf:bf16:1"
n=5; done_runs=""
for r in $runs; do
  n=$((n - 1))
  B=${r%%:*}; rest=${r#*:}; st=${rest%%:*}; sh=${rest#*:}
  case " $done_runs " in *" $B:$st "*) continue ;; esac
  done_runs="$done_runs $B:$st"
  lim=$(box 150 $((10 + n * 25)))
  [ "$lim" -lt 20 ] && { printf '%-7s %-5s  (skipped: out of time)\n' "$B" "$st"; continue; }
  flags="--ssm-state $st --time-limit $((lim * 2 / 5))"
  [ "$sh" = 1 ] && flags="$flags --shared-prompt"
  out=$(timeout "$lim" ./bin/corpusd bench-gen --config "$CFG" --random-weights --backend "$BACKEND" --batch "$B" \
        --prompt-len "$PROMPT" --gen-len "$GEN" --prefill-chunk 8192 $flags 2>&1)
  rc=$?
  pre=$(echo "$out" | sed -n 's/^prefill: .* = \([0-9.]*\) tokens\/s.*/\1/p')
  dec=$(echo "$out" | sed -n 's/^decode: batch[^:]*: \([0-9.]*\) tokens\/s, \([0-9.]*\) ms\/step.* \([0-9]*\)% of roofline (achieved \([0-9.]*\) GB\/s).*/\1 \2 \3 \4/p')
  set -- $dec
  vs=""
  [ -n "${1:-}" ] && vs=$(awk "BEGIN{printf \"%.2fx\", $1/$target}")
  printf '%-7s %-5s %13s %13s %9s %11s %9s %s\n' "$B" "$st" "${pre:--}" "${1:--}" "${2:--}" "${4:--}" "${3:--}" "${vs:--}"
  echo "$out" | grep -a '^decode: stopped' | sed 's/^/        /'
  [ $rc -ne 0 ] && echo "        (exit $rc$( [ $rc -eq 124 ] && echo ', timed out'))" && echo "$out" | tail -3 | sed 's/^/        /'
done
echo "$out" | grep -a '^device:' | head -1
echo "targets: decode at the largest batch >= $target tok/s (1.2 x vLLM's 794 on one H100, 32k in / 1k out);"
echo "         batch-1 decode >= 70% of the roofline. Total time $(( $(date +%s) - T0 )) s."
