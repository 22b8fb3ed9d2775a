#!/bin/sh
# bench/gpu/run.sh: the GPU check of issue #11, for one run of under 8
# minutes on a single H100/H200:
#  1. build (bin/corpusd and lib/corpusd-cuda.so);
#  2. the GPU tests: backend-ops (every CUDA kernel against the CPU) and the
#     tiny model end to end (make test-gpu's synth part, release build);
#  3. compute-sanitizer memcheck on the tiny model, when installed;
#  4. `corpusd bench-gen` on the 9B config with random bf16 weights drawn on
#     the device: prompt PROMPT (8192) / generation GEN (1024) at batch 1, 8,
#     64 and the largest batch `corpusd plan` says fits in free memory;
#  5. a table: prefill tok/s, decode tok/s, time per output token, decode
#     HBM bandwidth vs the device copy bandwidth measured in the same run.
# Targets (issue #11, one H100): decode at the largest batch >= 1.2 x 794
# tok/s (vLLM, 32k in / 1k out); batch-1 decode >= 70% of the HBM roofline.
#   PROMPT=2048 GEN=256 sh bench/gpu/run.sh     shorter run
set -u
cd "$(dirname "$0")/../.." || exit 2
PROMPT=${PROMPT:-8192}; GEN=${GEN:-1024}; CFG=configs/models/nemotron-nano-9b-v2.json
BUDGET=${BUDGET:-420}   # seconds for the bench-gen runs (each gets a share)
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,memory.free --format=csv,noheader
echo "== build"
make MODE=rel all unit >/dev/null 2>&1 || { make MODE=rel all unit 2>&1 | tail -20; exit 1; }
[ -f lib/corpusd-cuda.so ] || { echo "lib/corpusd-cuda.so was not built (nvcc missing?)"; exit 1; }
echo "== GPU tests"
CORPUSD_TEST_GPU=1 ./build/rel/unit-tests synth 2>&1 | grep -E '^(PASS|FAIL|SKIP)|relative|    ' | head -40
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
./bin/corpusd model-init --config configs/models/nemotron-h-tiny.json --seed 3 -o "$tmp/tiny" >/dev/null 2>&1
if command -v compute-sanitizer >/dev/null 2>&1 || [ -x /usr/local/cuda/bin/compute-sanitizer ]; then
  CS=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
  echo "== compute-sanitizer memcheck (tiny model)"
  timeout 120 "$CS" --tool memcheck --error-exitcode 9 ./bin/corpusd forward --backend cuda --model "$tmp/tiny" \
    --tokens 1,5,17,42,99,3,250,7,7,7,12,400,2,3,4,5,6,7,8,9 --logits "$tmp/l.f32" 2>&1 | tail -3
fi
free_mib=$(nvidia-smi --query-gpu=memory.free --format=csv,noheader,nounits 2>/dev/null | head -1)
free_mib=${free_mib:-80000}
ctx=$((PROMPT + GEN + 1))
largest=$(./bin/corpusd plan --config "$CFG" --context "$ctx" --weights bf16 --kv f32 --state f32 \
          --prefill-chunk 8192 --memory "$((free_mib * 9 / 10))M" 2>/dev/null | sed -n 's/^largest batch at context [0-9]*: //p')
largest=${largest:-64}
[ "$largest" -gt 256 ] && largest=256
echo "== bench-gen on $CFG, prompt $PROMPT, generation $GEN (largest batch by plan: $largest)"
printf '%-8s %14s %14s %12s %16s %14s\n' batch "prefill tok/s" "decode tok/s" "ms/token" "decode GB/s" "% of copy BW"
for B in 1 8 64 "$largest"; do
  [ "$B" = "${last:-}" ] && continue; last=$B
  out=$(timeout $((BUDGET / 4)) ./bin/corpusd bench-gen --config "$CFG" --random-weights --backend cuda \
        --batch "$B" --prompt-len "$PROMPT" --gen-len "$GEN" --prefill-chunk 8192 2>&1)
  rc=$?
  pre=$(echo "$out" | sed -n 's/^prefill: .* = \([0-9.]*\) tokens\/s.*/\1/p')
  dec=$(echo "$out" | sed -n 's/^decode: [^:]*: \([0-9.]*\) tokens\/s, \([0-9.]*\) ms\/step.*of roofline (achieved \([0-9.]*\) GB\/s).*/\1 \2 \3/p')
  bw=$(echo "$out" | sed -n 's/^device: copy bandwidth \([0-9.]*\) GB\/s.*/\1/p')
  set -- $dec
  pct=""
  [ -n "${3:-}" ] && [ -n "$bw" ] && pct=$(awk "BEGIN{printf \"%.0f\", 100*$3/$bw}")
  printf '%-8s %14s %14s %12s %16s %14s\n' "$B" "${pre:--}" "${1:--}" "${2:--}" "${3:--}" "${pct:--}"
  [ $rc -ne 0 ] && echo "   (batch $B: exit $rc$( [ $rc -eq 124 ] && echo ', timed out'))" && echo "$out" | tail -3 | sed 's/^/   /'
done
echo "vLLM reference (issue #11): 794 output tok/s on one H100, 32k in / 1k out."
