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
