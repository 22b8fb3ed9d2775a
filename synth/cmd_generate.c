/*
 * cmd_generate.c: `corpusd generate`: text in, text out, through the
 * tokenizer of tokenizer/ and batched generation (synth_generate).
 *
 * Prompt formatting: corpusd does not run Jinja. When the model's tokenizer
 * has the Nemotron Nano 2 turn tokens (<SPECIAL_10>, <SPECIAL_11>), the
 * prompt is laid out in that format, which is what the chat_template of
 * tokenizer_config.json written by model-init renders:
 *   <SPECIAL_10>System\n{system}\n<SPECIAL_11>User\n{prompt}\n<SPECIAL_11>Assistant\n
 * followed by <think></think> when the system prompt contains /no_think.
 * --raw feeds the prompt as is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/json.h"
#include "core/stage.h"
#include "synth/synth.h"
#include "tokenizer/bpe.h"

static void format_prompt(const bpe *tok, const char *system, const char *prompt, int raw, sbuf *out)
{
    if (raw || bpe_token_to_id(tok, "<SPECIAL_10>", 12) < 0 || bpe_token_to_id(tok, "<SPECIAL_11>", 12) < 0) {
        sbuf_puts(out, prompt);
        return;
    }
    sbuf_printf(out, "<SPECIAL_10>System\n%s\n<SPECIAL_11>User\n%s\n<SPECIAL_11>Assistant\n", system, prompt);
    if (strstr(system, "/no_think")) sbuf_puts(out, "<think></think>");
}

static int cmd_generate(int argc, char **argv)
{
    static const char *const bools[] = {"raw", "no-think", NULL};
    static const char *const known[] = {"model", "prompt", "prompts-file", "max-new-tokens", "temperature", "top-p", "top-k",
                                        "seed", "system", "raw", "no-think", "batch", "backend", "threads", "output",
                                        "prefill-chunk", "ssm-state", NULL};
    cli_args a;
    if (cli_parse(argc, argv, bools, &a)) return EXIT_USAGE;
    if (a.help) {
        printf("usage: corpusd generate --model DIR (--prompt TEXT | --prompts-file FILE) [--max-new-tokens N]\n"
               "                        [--temperature T] [--top-p P] [--top-k K] [--seed S] [--system TEXT]\n"
               "                        [--no-think] [--raw] [--batch B] [--prefill-chunk N] [-o OUT.jsonl]\n"
               "                        [--backend cpu|cuda] [--ssm-state f32|bf16]\n\n"
               "Generates from one prompt (text to stdout) or one prompt per line of FILE\n"
               "(JSON lines {\"prompt\", \"output\", \"tokens\", \"stopped\"}, batched B at a time).\n"
               "Temperature 0 is greedy. Each prompt i samples with seed S + i.\n");
        cli_free(&a);
        return EXIT_OK;
    }
    const char *dir = cli_get(&a, "model"), *prompt = cli_get(&a, "prompt"), *pf = cli_get(&a, "prompts-file");
    if (cli_check(&a, "generate", known) || !dir || (!prompt == !pf)) {
        fprintf(stderr, "usage: corpusd generate --model DIR (--prompt TEXT | --prompts-file FILE) [...]\n");
        cli_free(&a);
        return EXIT_USAGE;
    }
    if (cli_get(&a, "threads")) synth_set_threads(atoi(cli_get(&a, "threads")));
    int max_new = cli_get(&a, "max-new-tokens") ? atoi(cli_get(&a, "max-new-tokens")) : 64;
    int batch = cli_get(&a, "batch") ? atoi(cli_get(&a, "batch")) : 8;
    int chunk = cli_get(&a, "prefill-chunk") ? atoi(cli_get(&a, "prefill-chunk")) : 512;
    synth_sampling smp = {cli_get(&a, "temperature") ? (float)atof(cli_get(&a, "temperature")) : 0.0f,
                          cli_get(&a, "top-k") ? atoi(cli_get(&a, "top-k")) : 0,
                          cli_get(&a, "top-p") ? (float)atof(cli_get(&a, "top-p")) : 1.0f,
                          cli_get(&a, "seed") ? strtoull(cli_get(&a, "seed"), NULL, 10) : 0};
    char sysbuf[4096];
    snprintf(sysbuf, sizeof sysbuf, "%s%s%s", cli_get(&a, "system") ? cli_get(&a, "system") : "",
             cli_has(&a, "no-think") && cli_get(&a, "system") ? " " : "", cli_has(&a, "no-think") ? "/no_think" : "");
    if (max_new < 0 || batch < 1) {
        fprintf(stderr, "corpusd generate: --max-new-tokens must be >= 0 and --batch >= 1\n");
        cli_free(&a);
        return EXIT_USAGE;
    }
    cd_err e = {0};
    char *tp = xasprintf("%s/tokenizer.json", dir);
    bpe *tok = bpe_load(tp, &e);
    free(tp);
    if (!tok) {
        fprintf(stderr, "corpusd generate: %s\n", e.msg);
        cli_free(&a);
        return EXIT_FAILURES;
    }
    synth_model *m;
    if (synth_model_load(&m, dir, cli_get(&a, "backend"), &e)) {
        fprintf(stderr, "corpusd generate: %s\n", e.msg);
        bpe_free(tok);
        cli_free(&a);
        return EXIT_FAILURES;
    }
    if (cli_get(&a, "ssm-state") && !strcmp(cli_get(&a, "ssm-state"), "bf16")) synth_model_set_bf16_state(m, 1);
    /* prompts */
    char *file = NULL;
    char **prompts = NULL;
    int np = 0;
    if (pf) {
        size_t n;
        file = cd_read_file(pf, &n, &e);
        if (!file) {
            fprintf(stderr, "corpusd generate: %s\n", e.msg);
            synth_model_free(m);
            bpe_free(tok);
            cli_free(&a);
            return EXIT_USAGE;
        }
        for (size_t i = 0; i < n; i++) np += file[i] == '\n';
        prompts = xcalloc((size_t)np + 2, sizeof *prompts);
        np = 0;
        for (char *s = file, *nl; s && *s; s = nl ? nl + 1 : NULL) {
            nl = strchr(s, '\n');
            if (nl) *nl = 0;
            if (*s) prompts[np++] = s;
        }
    } else {
        prompts = xcalloc(1, sizeof *prompts);
        prompts[np++] = (char *)prompt;
    }
    const synth_config *c = synth_model_config(m);
    int32_t stops[SYNTH_MAX_STOP + 1];
    int nstop = 0;
    for (int i = 0; i < c->n_eos; i++) stops[nstop++] = c->eos_ids[i];
    if (bpe_eos_id(tok) >= 0) stops[nstop++] = bpe_eos_id(tok);
    synth_request *rq = xcalloc((size_t)np + 1, sizeof *rq);
    bpe_ids *ids = xcalloc((size_t)np + 1, sizeof *ids);
    bpe_ctx *ctx = bpe_ctx_new(tok);
    int code = EXIT_OK;
    for (int i = 0; i < np; i++) {
        sbuf text = SBUF_INIT;
        format_prompt(tok, sysbuf, prompts[i], cli_has(&a, "raw"), &text);
        if (bpe_encode(tok, ctx, text.data ? text.data : "", text.len, BPE_PARSE_SPECIAL, &ids[i], &e)) code = EXIT_FAILURES;
        sbuf_free(&text);
        for (size_t k = 0; k < ids[i].len; k++)
            if (ids[i].ids[k] >= c->vocab) {
                fprintf(stderr, "corpusd generate: the tokenizer's id %d is outside the model's vocabulary (%d)\n",
                        ids[i].ids[k], c->vocab);
                code = EXIT_FAILURES;
            }
        rq[i].prompt = ids[i].ids;
        rq[i].prompt_len = (int)ids[i].len;
        rq[i].sampling = smp;
        rq[i].sampling.seed = smp.seed + (uint64_t)i;
        rq[i].max_new = max_new;
        rq[i].stop = stops;
        rq[i].n_stop = nstop;
        rq[i].out = xmalloc(((size_t)max_new + 1) * sizeof *rq[i].out);
    }
    double t0 = cd_now();
    if (code == EXIT_OK && synth_generate(m, rq, np, batch, chunk, &e)) {
        fprintf(stderr, "corpusd generate: %s\n", e.msg);
        code = EXIT_FAILURES;
    }
    double dt = cd_now() - t0;
    FILE *out = stdout;
    if (code == EXIT_OK && cli_get(&a, "output") && !(out = fopen(cli_get(&a, "output"), "w"))) {
        fprintf(stderr, "corpusd generate: cannot write %s\n", cli_get(&a, "output"));
        code = EXIT_FAILURES;
    }
    long total = 0;
    for (int i = 0; code == EXIT_OK && i < np; i++) {
        sbuf txt = SBUF_INIT;
        bpe_decode(tok, rq[i].out, (size_t)rq[i].n_out, &txt, NULL);
        total += rq[i].n_out;
        if (pf) {
            sbuf line = SBUF_INIT;
            sbuf_puts(&line, "{\"prompt\":");
            json_write_string(&line, prompts[i], strlen(prompts[i]));
            sbuf_puts(&line, ",\"output\":");
            json_write_string(&line, txt.data ? txt.data : "", txt.len);
            sbuf_printf(&line, ",\"tokens\":%d,\"stopped\":%s}\n", rq[i].n_out, rq[i].stopped ? "true" : "false");
            fwrite(line.data, 1, line.len, out);
            sbuf_free(&line);
        } else {
            fwrite(txt.data ? txt.data : "", 1, txt.len, out);
            fputc('\n', out);
        }
        sbuf_free(&txt);
    }
    if (out && out != stdout) fclose(out);
    if (code == EXIT_OK)
        fprintf(stderr, "corpusd generate: %d prompts, %ld tokens in %.2fs (%.1f tokens/s, %s backend)\n", np, total, dt,
                dt > 0 ? total / dt : 0.0, synth_model_backend(m));
    for (int i = 0; i < np; i++) {
        free(rq[i].out);
        bpe_ids_free(&ids[i]);
    }
    bpe_ctx_free(ctx);
    free(ids);
    free(rq);
    free(prompts);
    free(file);
    synth_model_free(m);
    bpe_free(tok);
    cli_free(&a);
    return code;
}
CORPUSD_COMMAND("generate", "generate text with a Nemotron-H model (greedy, temperature, top-k, top-p; batched)",
                cmd_generate)
