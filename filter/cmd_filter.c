/*
 * cmd_filter.c: the `corpusd langid` and `corpusd filter` subcommands, thin
 * wrappers over filter_langid() and over the stage list of a preset
 * (configs/fineweb.yaml, configs/nemotron-cc.yaml) run by
 * pipeline_run_files(). Every filter stage is also reachable alone through
 * the generic per-stage command machinery (cli_stage_main).
 */
#include "cli/cli.h"
#include "core/pipeline.h"
#include "filter/filter.h"
#include "filter/fasttext_shim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmd_langid(int argc, char **argv)
{
    cli_args a;
    if (cli_parse(argc, argv, NULL, &a)) return EXIT_USAGE;
    if (a.help) {
        printf("usage: corpusd langid [FILE|-] [--model MODEL.bin]\n\n"
               "Identifies the language of each input line (one document per line) and prints\n"
               "LANG<TAB>SCORE: an ISO 639-1 code where one exists (\"un\" when unknown).\n"
               "Default CLD2: SCORE is the share of the line's letters in that language.\n"
               "--model: a fastText lid.176 or GlotLID model; SCORE is the top label's\n"
               "probability (GlotLID's eng_Latn-style labels are mapped to 639-1 where the\n"
               "table knows one, else the 639-3 code is printed).\n");
        cli_free(&a);
        return EXIT_OK;
    }
    static const char *const known[] = {"model", NULL};
    if (cli_check(&a, "langid", known) || a.npos > 1) {
        if (a.npos > 1) fprintf(stderr, "usage: corpusd langid [FILE|-] [--model MODEL.bin]\n");
        cli_free(&a);
        return EXIT_USAGE;
    }
    ft_shim *ft = NULL;
    if (cli_get(&a, "model")) {
        char msg[512];
        ft = ft_shim_load(cli_get(&a, "model"), msg, sizeof msg);
        if (!ft) {
            fprintf(stderr, "corpusd langid: %s\n", msg);
            cli_free(&a);
            return EXIT_USAGE;
        }
    }
    FILE *f = stdin;
    if (a.npos == 1 && strcmp(a.pos[0], "-")) {
        f = fopen(a.pos[0], "rb");
        if (!f) {
            perror(a.pos[0]);
            ft_shim_free(ft);
            cli_free(&a);
            return EXIT_FAILURES;
        }
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = EXIT_OK;
    while ((n = getline(&line, &cap, f)) >= 0) {
        if (n && line[n - 1] == '\n') n--;
        if (n && line[n - 1] == '\r') n--;
        filter_lang r;
        if (ft) {
            filter_langid_ft(ft, line, (size_t)n, &r);
        } else if (filter_langid(line, (size_t)n, &r)) {
            fprintf(stderr, "corpusd langid: built without CLD2 (install libcld2-dev)\n");
            rc = EXIT_FAILURES;
            break;
        }
        printf(ft ? "%s\t%.6f\n" : "%s\t%.4f\n", r.code, r.score);
    }
    free(line);
    if (f != stdin) fclose(f);
    ft_shim_free(ft);
    cli_free(&a);
    return rc;
}
CORPUSD_COMMAND("langid", "print LANG<TAB>SCORE for each input line (CLD2, or --model fastText)", cmd_langid)

static int cmd_filter(int argc, char **argv)
{
    cli_args a;
    if (cli_parse(argc, argv, NULL, &a)) return EXIT_USAGE;
    if (a.help) {
        printf("usage: corpusd filter IN.jsonl.zst... -o OUT.jsonl.zst --config PRESET.yaml [--rejects REJ.jsonl.zst]\n\n"
               "Runs the `stages:` list of PRESET (e.g. configs/fineweb.yaml) over the inputs.\n"
               "Kept documents go to -o (\"-\" for stdout); dropped ones to --rejects, with\n"
               "metadata.drop_reason and metadata.filter_value. Per-stage counts go to stderr.\n"
               "Stages: langid gopher_quality gopher_repetition c4 fineweb nemo_heuristics\n"
               "url_filter line_filter regex pii (see `corpusd help-stage NAME` or docs/filter.md).\n");
        cli_free(&a);
        return EXIT_OK;
    }
    static const char *const known[] = {"o", "output", "config", "rejects", "seed", NULL};
    const char *out = cli_get(&a, "o") ? cli_get(&a, "o") : cli_get(&a, "output");
    const char *config = cli_get(&a, "config");
    if (cli_check(&a, "filter", known) || !a.npos || !config) {
        fprintf(stderr, "usage: corpusd filter IN... -o OUT --config PRESET.yaml [--rejects REJ]\n");
        cli_free(&a);
        return EXIT_USAGE;
    }
    cd_err e;
    cd_err_clear(&e);
    cfg_node *root = cfg_load(config, &e);
    if (!root) {
        fprintf(stderr, "corpusd filter: %s\n", e.msg);
        cli_free(&a);
        return EXIT_USAGE;
    }
    const cfg_node *stages = cfg_map_get(root, "stages");
    int rc = EXIT_OK;
    pipeline_stage *defs = NULL;
    size_t n = 0;
    if (!stages || stages->kind != CFG_SEQ) {
        if (root->kind == CFG_MAP && stages) cfg_error(&e, stages, "`stages:` must be a list");
        else cd_fail(&e, CD_ECONFIG, "%s: no `stages:` list", config);
        fprintf(stderr, "corpusd filter: %s\n", e.msg);
        rc = EXIT_USAGE;
        goto done;
    }
    defs = xcalloc(stages->len ? stages->len : 1, sizeof *defs);
    for (; n < stages->len; n++) {
        if (pipeline_stage_from_node(stages->items[n], n, &defs[n], &e)) {
            fprintf(stderr, "corpusd filter: %s\n", e.msg);
            rc = EXIT_USAGE;
            goto done;
        }
    }
    uint64_t seed = cli_get(&a, "seed") ? strtoull(cli_get(&a, "seed"), NULL, 10) : 0;
    if (pipeline_run_files(defs, n, a.pos, a.npos, NULL, out ? out : "-", cli_get(&a, "rejects"), seed, &e)) {
        fprintf(stderr, "corpusd filter: %s\n", e.msg);
        rc = e.code == CD_ECONFIG ? EXIT_USAGE : EXIT_FAILURES;
    }
done:
    for (size_t i = 0; i < n; i++) pipeline_stage_free(&defs[i]);
    free(defs);
    cfg_free(root);
    cli_free(&a);
    return rc;
}
CORPUSD_COMMAND("filter", "run a filter preset (configs/fineweb.yaml, configs/nemotron-cc.yaml) over JSONL files",
                cmd_filter)

/* Each filter stage alone on files: `corpusd STAGE IN... -o OUT [--PARAM V]`
 * (list parameters take comma-separated values, e.g. --languages en,fr). */
static int cmd_pii(int argc, char **argv) { return cli_stage_main("pii", argc, argv); }
CORPUSD_COMMAND("pii", "redact emails, public IPs and phone numbers in JSONL files", cmd_pii)
static int cmd_url_filter(int argc, char **argv) { return cli_stage_main("url_filter", argc, argv); }
CORPUSD_COMMAND("url_filter", "drop documents of JSONL files by metadata.url block lists", cmd_url_filter)
static int cmd_gopher_quality(int argc, char **argv) { return cli_stage_main("gopher_quality", argc, argv); }
CORPUSD_COMMAND("gopher_quality", "Gopher quality rules on JSONL files", cmd_gopher_quality)
static int cmd_gopher_repetition(int argc, char **argv) { return cli_stage_main("gopher_repetition", argc, argv); }
CORPUSD_COMMAND("gopher_repetition", "Gopher repetition rules on JSONL files", cmd_gopher_repetition)
static int cmd_c4(int argc, char **argv) { return cli_stage_main("c4", argc, argv); }
CORPUSD_COMMAND("c4", "C4 line and document rules on JSONL files", cmd_c4)
static int cmd_fineweb(int argc, char **argv) { return cli_stage_main("fineweb", argc, argv); }
CORPUSD_COMMAND("fineweb", "FineWeb quality rules on JSONL files", cmd_fineweb)
static int cmd_nemo(int argc, char **argv) { return cli_stage_main("nemo_heuristics", argc, argv); }
CORPUSD_COMMAND("nemo_heuristics", "NeMo Curator's English heuristic cascade on JSONL files", cmd_nemo)
static int cmd_line_filter(int argc, char **argv) { return cli_stage_main("line_filter", argc, argv); }
CORPUSD_COMMAND("line_filter", "remove lines matching PCRE2 patterns from JSONL files", cmd_line_filter)
static int cmd_regex(int argc, char **argv) { return cli_stage_main("regex", argc, argv); }
CORPUSD_COMMAND("regex", "keep or drop documents of JSONL files by PCRE2 rules", cmd_regex)
static int cmd_quality(int argc, char **argv) { return cli_stage_main("quality_classifier", argc, argv); }
CORPUSD_COMMAND("quality_classifier", "score documents of JSONL files with a fastText classifier", cmd_quality)

typedef struct words_out {
    const char *text;
    int first;
} words_out;

static void words_print(void *arg, size_t off, size_t len, size_t nch)
{
    (void)nch;
    words_out *o = arg;
    if (!o->first) putchar(' ');
    fwrite(o->text + off, 1, len, stdout);
    o->first = 0;
}

/* `corpusd words`: the word split of datatrove's rules, for inspection and
 * for the test against NLTK. Documents are NUL-separated so that they can
 * hold newlines. */
static int cmd_words(int argc, char **argv)
{
    cli_args a;
    if (cli_parse(argc, argv, NULL, &a)) return EXIT_USAGE;
    static const char *const known[] = {NULL};
    if (a.help || cli_check(&a, "words", known) || a.npos > 1) {
        printf("usage: corpusd words [FILE|-]\n\n"
               "Splits each NUL-separated input document into words as the datatrove rules\n"
               "(gopher_quality, gopher_repetition, fineweb) do: NLTK's word_tokenize\n"
               "(punkt sentences, then the Treebank rules). Prints the words of each\n"
               "document separated by spaces, one document per line.\n");
        int rc = a.help ? EXIT_OK : EXIT_USAGE;
        cli_free(&a);
        return rc;
    }
    FILE *f = stdin;
    if (a.npos == 1 && strcmp(a.pos[0], "-")) {
        f = fopen(a.pos[0], "rb");
        if (!f) {
            perror(a.pos[0]);
            cli_free(&a);
            return EXIT_FAILURES;
        }
    }
    filter_words *w = filter_words_new();
    char *doc = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getdelim(&doc, &cap, '\0', f)) >= 0) {
        if (n && doc[n - 1] == '\0') n--;
        words_out o = {doc, 1};
        filter_words_split(w, doc, (size_t)n, words_print, &o);
        putchar('\n');
    }
    free(doc);
    filter_words_free(w);
    if (f != stdin) fclose(f);
    cli_free(&a);
    return EXIT_OK;
}
CORPUSD_COMMAND("words", "print the words of NUL-separated documents as datatrove's rules split them (NLTK)",
                cmd_words)
