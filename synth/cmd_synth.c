/*
 * cmd_synth.c: the synth subcommands: `forward` (logits of one prompt given
 * as token ids, the hook for reference comparisons), `model-init` (a random
 * model in the checkpoint layout), `plan` (the memory planner) and
 * `generate` (text in, text out).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/stage.h"
#include "synth/backend.h"
#include "synth/synth.h"

/* Parses "5,17,42" into ids; -1 on a malformed list. */
static int parse_ids(const char *s, int32_t **out, int *n)
{
    int cap = 16, k = 0;
    int32_t *v = xmalloc((size_t)cap * sizeof *v);
    const char *p = s;
    while (*p) {
        char *end;
        errno = 0;
        long x = strtol(p, &end, 10);
        if (end == p || errno || x < 0 || x > INT32_MAX) {
            free(v);
            return -1;
        }
        if (k == cap) v = xrealloc(v, (size_t)(cap *= 2) * sizeof *v);
        v[k++] = (int32_t)x;
        p = end;
        while (*p == ',' || *p == ' ' || *p == '\n') p++;
    }
    *out = v;
    *n = k;
    return k ? 0 : -1;
}

static int cmd_forward(int argc, char **argv)
{
    static const char *const known[] = {"model", "tokens", "tokens-file", "logits", "output", "backend", "threads", NULL};
    cli_args a;
    if (cli_parse(argc, argv, NULL, &a)) return EXIT_USAGE;
    if (a.help) {
        printf("usage: corpusd forward --model DIR --tokens 5,17,42 --logits OUT.f32 [--backend cpu|cuda] [--threads N]\n\n"
               "Runs one prompt given as token ids through the model and writes the logits of every\n"
               "position as little-endian float32, row-major [positions x vocab].\n"
               "  --tokens-file F   read the comma-separated ids from F instead\n");
        cli_free(&a);
        return EXIT_OK;
    }
    const char *dir = cli_get(&a, "model"), *toks = cli_get(&a, "tokens"), *tf = cli_get(&a, "tokens-file");
    const char *outp = cli_get(&a, "logits") ? cli_get(&a, "logits") : cli_get(&a, "output");
    if (cli_check(&a, "forward", known) || !dir || (!toks && !tf) || !outp) {
        fprintf(stderr, "usage: corpusd forward --model DIR --tokens 5,17,42 --logits OUT.f32\n");
        cli_free(&a);
        return EXIT_USAGE;
    }
    if (cli_get(&a, "threads")) synth_set_threads(atoi(cli_get(&a, "threads")));
    cd_err e = {0};
    char *buf = NULL;
    if (tf) {
        size_t n;
        buf = cd_read_file(tf, &n, &e);
        if (!buf) {
            fprintf(stderr, "corpusd forward: %s\n", e.msg);
            cli_free(&a);
            return EXIT_USAGE;
        }
        toks = buf;
    }
    int32_t *ids;
    int n;
    if (parse_ids(toks, &ids, &n)) {
        fprintf(stderr, "corpusd forward: --tokens must be a comma-separated list of non-negative ids\n");
        free(buf);
        cli_free(&a);
        return EXIT_USAGE;
    }
    free(buf);
    synth_model *m;
    int code = EXIT_OK;
    if (synth_model_load(&m, dir, cli_get(&a, "backend"), &e)) {
        fprintf(stderr, "corpusd forward: %s\n", e.msg);
        free(ids);
        cli_free(&a);
        return EXIT_FAILURES;
    }
    const synth_config *c = synth_model_config(m);
    synth_seq *s = synth_seq_new(m, n);
    float *lg = xmalloc((size_t)n * c->vocab * sizeof *lg);
    if (!s || synth_forward(m, &s, 1, ids, &n, 1, lg, &e) ||
        cd_write_file_atomic(outp, lg, (size_t)n * c->vocab * sizeof *lg, &e)) {
        fprintf(stderr, "corpusd forward: %s\n", s ? e.msg : "out of memory for the sequence caches");
        code = EXIT_FAILURES;
    } else {
        fprintf(stderr, "corpusd forward: %d positions x %d logits -> %s (%s backend)\n", n, c->vocab, outp,
                synth_model_backend(m));
    }
    free(lg);
    synth_seq_free(s);
    synth_model_free(m);
    free(ids);
    cli_free(&a);
    return code;
}
CORPUSD_COMMAND("forward", "run a Nemotron-H model on token ids and write the logits of every position", cmd_forward)

static int cmd_model_init(int argc, char **argv)
{
    static const char *const known[] = {"config", "seed", "output", "dtype", NULL};
    cli_args a;
    if (cli_parse(argc, argv, NULL, &a)) return EXIT_USAGE;
    if (a.help) {
        printf("usage: corpusd model-init --config CONFIG.json --seed S -o DIR [--dtype f32|bf16]\n\n"
               "Writes a random Nemotron-H model in the checkpoint layout of NVIDIA's releases\n"
               "(config.json, model.safetensors, tokenizer.json, tokenizer_config.json).\n");
        cli_free(&a);
        return EXIT_OK;
    }
    const char *cfg = cli_get(&a, "config"), *out = cli_get(&a, "output"), *dt = cli_get(&a, "dtype");
    if (cli_check(&a, "model-init", known) || !cfg || !out || (dt && strcmp(dt, "f32") && strcmp(dt, "bf16"))) {
        fprintf(stderr, "usage: corpusd model-init --config CONFIG.json --seed S -o DIR [--dtype f32|bf16]\n");
        cli_free(&a);
        return EXIT_USAGE;
    }
    uint64_t seed = cli_get(&a, "seed") ? strtoull(cli_get(&a, "seed"), NULL, 10) : 0;
    cd_err e = {0};
    size_t n;
    char *txt = cd_read_file(cfg, &n, &e);
    int code = EXIT_OK;
    if (!txt || synth_model_init(txt, n, seed, dt && !strcmp(dt, "bf16"), out, &e)) {
        fprintf(stderr, "corpusd model-init: %s\n", e.msg);
        code = txt ? EXIT_FAILURES : EXIT_USAGE;
    }
    free(txt);
    cli_free(&a);
    return code;
}
CORPUSD_COMMAND("model-init", "write a random Nemotron-H model (weights, config, tokenizer) for tests and benchmarks",
                cmd_model_init)

/* ------------------------------------------------------------------- plan */

static const char *human(double b, char *buf, size_t n)
{
    const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int i = 0;
    while (b >= 1024 && i < 4) {
        b /= 1024;
        i++;
    }
    snprintf(buf, n, "%.2f %s", b, u[i]);
    return buf;
}

static int dtype_bytes(const char *s, int dflt)
{
    if (!s) return dflt;
    if (!strcmp(s, "f32") || !strcmp(s, "fp32")) return 4;
    if (!strcmp(s, "bf16") || !strcmp(s, "f16") || !strcmp(s, "fp16")) return 2;
    if (!strcmp(s, "fp8") || !strcmp(s, "int8")) return 1;
    return -1;
}

/* "22GiB", "22G", "22GB" (all powers of 1024), "128k" -> bytes or count; -1 on error. */
static int64_t parse_size(const char *s)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", s);
    size_t n = strlen(buf);
    if (n > 2 && !strcmp(buf + n - 2, "iB")) buf[n - 2] = 0;
    else if (n > 1 && buf[n - 1] == 'B') buf[n - 1] = 0;
    return cd_parse_size(buf);
}

/* The GPU view of `corpusd plan`: the CUDA backend's layout against the
 * free memory of the GPU here (cudaMemGetInfo through the backend, after
 * its context is created) or against --gpu-mem. */
static void plan_gpu_view(const synth_config *c, int batch, int64_t ctx, int sb, int chunk, const char *gpu_mem)
{
    double avail = 0;
    char where[300], b1[32], b2[32];
    if (gpu_mem) {
        avail = (double)parse_size(gpu_mem);
        snprintf(where, sizeof where, "--gpu-mem %s", gpu_mem);
    } else {
        char why[256] = "";
        const synth_backend *cu = synth_cuda_load(why, sizeof why);
        size_t fr = 0, tot = 0;
        if (!cu || !cu->mem_info || cu->mem_info(&fr, &tot)) {
            printf("\nGPU view: no GPU here (%s); --gpu-mem 80GiB plans for a card\n", cu ? "no memory figures" : why);
            return;
        }
        avail = (double)fr;
        snprintf(where, sizeof where, "free on this GPU (%s total)", human((double)tot, b1, sizeof b1));
    }
    if (avail <= 0) {
        printf("\nGPU view: bad --gpu-mem\n");
        return;
    }
    double usable = avail * 0.97;   /* headroom: allocator rounding, graphs, fragmentation */
    synth_plan p;
    synth_plan_gpu(c, batch, ctx, sb, chunk, &p);
    printf("\nGPU view (CUDA backend: bf16 weights, fp32 KV cache, %s state; %s of %s usable)\n",
           sb == 2 ? "bf16" : "fp32", human(usable, b1, sizeof b1), where);
    printf("%-28s %14s %14s\n", "weights", "-", human(p.weight_bytes, b1, sizeof b1));
    printf("%-28s %14s %14s\n", "per-sequence state", human(p.ssm_bytes_per_seq + p.conv_bytes_per_seq, b1, sizeof b1),
           human((p.ssm_bytes_per_seq + p.conv_bytes_per_seq) * batch, b2, sizeof b2));
    printf("%-28s %14s %14s\n", "KV cache", human(p.kv_bytes_per_seq, b1, sizeof b1),
           human(p.kv_bytes_per_seq * batch, b2, sizeof b2));
    printf("%-28s %14s %14s\n", "activations + scratch", "-", human(p.act_bytes, b1, sizeof b1));
    printf("%-28s %14s %14s (%s)\n", "total", "-", human(p.total_bytes, b1, sizeof b1),
           p.total_bytes <= usable ? "fits" : "does not fit");
    int maxb = 0;
    for (int b = 1; b <= 1 << 16; b++) {
        synth_plan q;
        synth_plan_gpu(c, b, ctx, sb, chunk, &q);
        if (q.total_bytes > usable) break;
        maxb = b;
    }
    printf("GPU: largest batch at context %lld: %d\n", (long long)ctx, maxb);
}

static int cmd_plan(int argc, char **argv)
{
    static const char *const known[] = {"config", "model", "batch", "context", "weights", "kv", "state", "memory",
                                        "prefill-chunk", "gpu-mem", NULL};
    cli_args a;
    if (cli_parse(argc, argv, NULL, &a)) return EXIT_USAGE;
    if (a.help) {
        printf("usage: corpusd plan (--config CONFIG.json | --model DIR) [--batch B] [--context N]\n"
               "                    [--weights bf16|f32|fp8] [--kv bf16|f32|fp8] [--state f32|bf16]\n"
               "                    [--memory 22GiB] [--prefill-chunk 2048] [--gpu-mem 80GiB]\n\n"
               "Says how much memory the weights, the KV cache (attention layers only) and the\n"
               "Mamba SSM/conv states take for a batch and context, whether that fits in --memory,\n"
               "and the largest batch that does. The GPU view lays the model out as the CUDA\n"
               "backend does (bf16 weights, fp32 KV cache and activations, --state for the\n"
               "SSM/conv state, its scratch) and finds the largest batch that fits in the free\n"
               "memory of the GPU here, or in --gpu-mem for a card that is not.\n");
        cli_free(&a);
        return EXIT_OK;
    }
    const char *cfgp = cli_get(&a, "config");
    char *tmp = NULL;
    if (!cfgp && cli_get(&a, "model")) cfgp = tmp = xasprintf("%s/config.json", cli_get(&a, "model"));
    int wb = dtype_bytes(cli_get(&a, "weights"), 2), kb = dtype_bytes(cli_get(&a, "kv"), 2),
        sb = dtype_bytes(cli_get(&a, "state"), 4);
    int batch = cli_get(&a, "batch") ? atoi(cli_get(&a, "batch")) : 1;
    int64_t ctx = cli_get(&a, "context") ? parse_size(cli_get(&a, "context")) : 131072;
    int chunk = cli_get(&a, "prefill-chunk") ? atoi(cli_get(&a, "prefill-chunk")) : 2048;
    double mem = cli_get(&a, "memory") ? (double)parse_size(cli_get(&a, "memory")) : 22.0 * 1073741824.0;
    if (cli_check(&a, "plan", known) || !cfgp || wb < 0 || kb < 0 || sb < 0 || batch < 1 || ctx < 1 || chunk < 1 ||
        mem <= 0) {
        fprintf(stderr, "usage: corpusd plan (--config CONFIG.json | --model DIR) [--batch B] [--context N] ...\n");
        free(tmp);
        cli_free(&a);
        return EXIT_USAGE;
    }
    synth_config c;
    cd_err e;
    if (synth_config_load(&c, cfgp, &e)) {
        fprintf(stderr, "corpusd plan: %s\n", e.msg);
        free(tmp);
        cli_free(&a);
        return EXIT_USAGE;
    }
    synth_plan p;
    synth_plan_compute(&c, batch, ctx, wb, kb, sb, chunk, &p);
    char b1[32], b2[32], b3[32];
    printf("model %s: %d layers (%d Mamba-2, %d attention, %d MLP), %.2fB parameters\n", cfgp, c.n_layer,
           synth_config_count(&c, 'M'), synth_config_count(&c, '*'), synth_config_count(&c, '-'),
           synth_config_params(&c) / 1e9);
    printf("batch %d, context %lld, weights %d B/param, KV %d B, state %d B, prefill chunk %d tokens\n\n", batch,
           (long long)ctx, wb, kb, sb, chunk);
    printf("%-28s %14s %14s\n", "", "per sequence", "total");
    printf("%-28s %14s %14s\n", "weights", "-", human(p.weight_bytes, b1, sizeof b1));
    printf("%-28s %14s %14s\n", "KV cache (attention layers)", human(p.kv_bytes_per_seq, b1, sizeof b1),
           human(p.kv_bytes_per_seq * batch, b2, sizeof b2));
    printf("%-28s %14s %14s\n", "SSM state (Mamba layers)", human(p.ssm_bytes_per_seq, b1, sizeof b1),
           human(p.ssm_bytes_per_seq * batch, b2, sizeof b2));
    printf("%-28s %14s %14s\n", "conv state (Mamba layers)", human(p.conv_bytes_per_seq, b1, sizeof b1),
           human(p.conv_bytes_per_seq * batch, b2, sizeof b2));
    printf("%-28s %14s %14s\n", "activations + logits", "-", human(p.act_bytes, b1, sizeof b1));
    printf("%-28s %14s %14s\n", "total", "-", human(p.total_bytes, b1, sizeof b1));
    int fits = p.total_bytes <= mem;
    printf("\n%s in %s (%s %s)\n", fits ? "FITS" : "DOES NOT FIT", human(mem, b1, sizeof b1),
           fits ? "headroom" : "short by", human(fits ? mem - p.total_bytes : p.total_bytes - mem, b2, sizeof b2));
    int maxb = 0;
    for (int b = 1; b <= 1 << 16; b++) {
        synth_plan q;
        synth_plan_compute(&c, b, ctx, wb, kb, sb, chunk, &q);
        if (q.total_bytes > mem) break;
        maxb = b;
    }
    printf("largest batch at context %lld: %d\n", (long long)ctx, maxb);
    plan_gpu_view(&c, batch, ctx, sb, chunk, cli_get(&a, "gpu-mem"));
    double full_kv = 2.0 * c.n_layer * (double)ctx * c.n_kv_head * c.head_dim * kb;
    printf("(a KV cache on all %d layers would take %s per sequence; the Mamba layers keep %s of fixed state)\n",
           c.n_layer, human(full_kv, b3, sizeof b3), human(p.ssm_bytes_per_seq + p.conv_bytes_per_seq, b1, sizeof b1));
    synth_config_free(&c);
    free(tmp);
    cli_free(&a);
    return fits ? EXIT_OK : EXIT_FAILURES;
}
CORPUSD_COMMAND("plan", "memory plan of a Nemotron-H model: weights, KV cache, SSM/conv states for a batch and context",
                cmd_plan)
