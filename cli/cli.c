/*
 * cli.c: flag parsing and the generic per-stage subcommand. See cli.h.
 */
#include "cli/cli.h"
#include "core/log.h"
#include "core/pipeline.h"
#include "core/stage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_parse(int argc, char **argv, const char *const *bool_flags, cli_args *a)
{
    memset(a, 0, sizeof *a);
    a->pos = xcalloc((size_t)argc + 1, sizeof *a->pos);
    a->keys = xcalloc((size_t)argc + 1, sizeof *a->keys);
    a->vals = xcalloc((size_t)argc + 1, sizeof *a->vals);
    int only_pos = 0;
    for (int i = 1; i < argc; i++) {
        char *s = argv[i];
        if (only_pos || s[0] != '-' || !strcmp(s, "-")) {
            a->pos[a->npos++] = s;
            continue;
        }
        if (!strcmp(s, "--")) {
            only_pos = 1;
            continue;
        }
        if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
            a->help = 1;
            continue;
        }
        const char *k = s + (s[1] == '-' ? 2 : 1);
        if (!strcmp(k, "o")) k = "output";
        const char *eq = strchr(k, '=');
        char *key = eq ? xstrndup(k, (size_t)(eq - k)) : xstrdup(k);
        const char *val = NULL;
        if (eq) {
            val = eq + 1;
        } else {
            int is_bool = 0;
            for (const char *const *b = bool_flags; b && *b; b++)
                if (!strcmp(*b, key)) is_bool = 1;
            if (is_bool) val = "true";
            else if (i + 1 < argc) val = argv[++i];
            else {
                fprintf(stderr, "corpusd: option --%s needs a value\n", key);
                free(key);
                return -1;
            }
        }
        a->keys[a->nflags] = key;
        a->vals[a->nflags] = (char *)val;
        a->nflags++;
    }
    return 0;
}

void cli_free(cli_args *a)
{
    for (size_t i = 0; i < a->nflags; i++) free(a->keys[i]);
    free(a->keys);
    free(a->vals);
    free(a->pos);
    memset(a, 0, sizeof *a);
}

const char *cli_get(const cli_args *a, const char *key)
{
    const char *v = NULL;
    for (size_t i = 0; i < a->nflags; i++)
        if (!strcmp(a->keys[i], key)) v = a->vals[i];
    return v;
}

int cli_has(const cli_args *a, const char *key) { return cli_get(a, key) != NULL; }

int cli_check(const cli_args *a, const char *cmd, const char *const *known)
{
    for (size_t i = 0; i < a->nflags; i++) {
        int ok = 0;
        for (const char *const *k = known; k && *k; k++)
            if (!strcmp(*k, a->keys[i])) ok = 1;
        if (!ok) {
            fprintf(stderr, "corpusd %s: unknown option --%s (see corpusd %s --help)\n", cmd, a->keys[i], cmd);
            return -1;
        }
    }
    return 0;
}

int cli_stage_main(const char *name, int argc, char **argv)
{
    const stage_ops *ops = registry_stage(name);
    if (!ops) {
        fprintf(stderr, "corpusd: stage '%s' is not built in\n", name);
        return EXIT_USAGE;
    }
    cli_args a;
    if (cli_parse(argc, argv, NULL, &a)) return EXIT_USAGE;
    if (a.help) {
        printf("usage: corpusd %s IN... [-o OUT] [--rejects REJ] [--format FMT] [--seed S] [--state DIR]\n"
               "       [--PARAM VALUE]...\n\n"
               "%s.\n\nReads JSONL (or any reader format) inputs in order and writes the kept documents to OUT\n"
               "(JSONL, compressed by suffix; stdout when absent or '-'), dropped ones to REJ. --state is\n"
               "a directory for stages that checkpoint (synth).\n\n"
               "Parameters (also usable in a pipeline config):\n",
               name, ops->summary);
        param_spec_print(ops->params, stdout);
        cli_free(&a);
        return EXIT_OK;
    }
    if (a.npos == 0) {
        fprintf(stderr, "corpusd %s: no input files (see corpusd %s --help)\n", name, name);
        cli_free(&a);
        return EXIT_USAGE;
    }
    cfg_node *params = cfg_new_map();
    uint64_t seed = 0;
    const char *out = NULL, *rej = NULL, *format = NULL, *state = NULL;
    for (size_t i = 0; i < a.nflags; i++) {
        const char *k = a.keys[i];
        if (!strcmp(k, "output")) out = a.vals[i];
        else if (!strcmp(k, "rejects")) rej = a.vals[i];
        else if (!strcmp(k, "format")) format = a.vals[i];
        else if (!strcmp(k, "state")) state = a.vals[i];
        else if (!strcmp(k, "seed")) {
            seed = strtoull(a.vals[i], NULL, 10);
            /* A stage with its own `seed` parameter gets it too. */
            for (const param_spec *p = ops->params; p && p->name; p++)
                if (!strcmp(p->name, "seed")) cfg_map_put(params, "seed", cfg_new_scalar(a.vals[i]));
        } else {
            char *key = xstrdup(k);
            for (char *c = key; *c; c++)
                if (*c == '-') *c = '_';
            cfg_map_put(params, key, cfg_new_scalar(a.vals[i]));
            free(key);
        }
    }
    cd_err e;
    cd_err_clear(&e);
    pipeline_stage st;
    cfg_node *wrap = cfg_new_map();
    cfg_map_put(wrap, name, params);
    int rc = pipeline_stage_from_node(wrap, 0, &st, &e);
    if (rc) {
        fprintf(stderr, "corpusd %s: %s\n", name, e.msg);
        cfg_free(wrap);
        cli_free(&a);
        return EXIT_USAGE;
    }
    rc = pipeline_run_files_state(&st, 1, a.pos, a.npos, format, out, rej, seed, state, &e);
    if (rc < 0) fprintf(stderr, "corpusd %s: %s\n", name, e.msg);
    pipeline_stage_free(&st);
    cfg_free(wrap);
    cli_free(&a);
    return rc < 0 ? (e.code == CD_ECONFIG ? EXIT_USAGE : EXIT_FAILURES) : rc ? EXIT_FAILURES : EXIT_OK;
}
