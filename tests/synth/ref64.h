/* ref64.h: the tests' independent float64 Nemotron-H reference (ref64.c). */
#ifndef CORPUSD_TESTS_SYNTH_REF64_H
#define CORPUSD_TESTS_SYNTH_REF64_H
#include <stdint.h>
/* Logits of every position [T x vocab] for the model in dir (F32 or BF16
 * model.safetensors; dt with no clamp, time_step_limit assumed (0, inf)). */
int ref64_forward(const char *dir, const int32_t *tok, int T, float *out);
#endif
