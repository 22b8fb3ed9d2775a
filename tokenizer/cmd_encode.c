/*
 * cmd_encode.c: `corpusd encode` (bytes -> space-separated ids) and
 * `corpusd decode` (ids -> bytes), thin wrappers over tokenizer/bpe.h.
 *
 * encode adds no BOS/EOS. Added/special tokens written in the text are
 * recognised for tokenizer.json (as Hugging Face tokenizers does) and not for
 * tiktoken files (as tiktoken's encode_ordinary); --parse-special yes|no
 * overrides either.
 */
#include "cli/cli.h"
#include "core/stage.h"
#include "tokenizer/bpe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_all(const char *path, size_t *n, cd_err *e)
{
    if (path && strcmp(path, "-")) return cd_read_file(path, n, e);
    sbuf b = SBUF_INIT;
    char buf[1 << 16];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, stdin)) > 0) sbuf_append(&b, buf, k);
    if (ferror(stdin)) {
        sbuf_free(&b);
        cd_fail(e, CD_EIO, "stdin: read error");
        return NULL;
    }
    char *s = sbuf_detach(&b, n);
    return s ? s : xstrdup("");
}

static int cmd_encode(int argc, char **argv)
{
    static const char *const known[] = {"tokenizer", "parse-special", "add-special", NULL};
    static const char *const bools[] = {"add-special", NULL};
    cli_args a;
    if (cli_parse(argc, argv, bools, &a)) return EXIT_USAGE;
    if (a.help || !cli_get(&a, "tokenizer") || a.npos > 1 || cli_check(&a, "encode", known)) {
        printf("usage: corpusd encode --tokenizer tokenizer.json|NAME.tiktoken [FILE|-]\n\n"
               "Prints the token ids of the whole input (default stdin), space-separated, with no\n"
               "special tokens added.\n"
               "  --parse-special yes|no  recognise added/special tokens written in the text\n"
               "                          (default: yes for tokenizer.json, no for .tiktoken)\n"
               "  --add-special           apply the post-processor (BOS/EOS where configured)\n");
        int help = a.help;
        cli_free(&a);
        return help ? EXIT_OK : EXIT_USAGE;
    }
    cd_err e;
    cd_err_clear(&e);
    bpe *t = bpe_load(cli_get(&a, "tokenizer"), &e);
    if (!t) {
        fprintf(stderr, "corpusd encode: %s\n", e.msg);
        cli_free(&a);
        return EXIT_USAGE;
    }
    unsigned flags = strncmp(bpe_kind(t), "tiktoken", 8) ? BPE_PARSE_SPECIAL : 0;
    const char *ps = cli_get(&a, "parse-special");
    if (ps) flags = !strcmp(ps, "yes") || !strcmp(ps, "true") || !strcmp(ps, "1") ? BPE_PARSE_SPECIAL : 0;
    if (cli_has(&a, "add-special")) flags |= BPE_ADD_SPECIAL;
    size_t n;
    char *text = read_all(a.npos ? a.pos[0] : NULL, &n, &e);
    if (!text) {
        fprintf(stderr, "corpusd encode: %s\n", e.msg);
        bpe_free(t);
        cli_free(&a);
        return EXIT_FAILURES;
    }
    bpe_ids ids = {0};
    bpe_ctx *ctx = bpe_ctx_new(t);
    int rc = bpe_encode(t, ctx, text, n, flags, &ids, &e);
    if (rc) fprintf(stderr, "corpusd encode: %s\n", e.msg);
    else {
        sbuf o = SBUF_INIT;
        for (size_t i = 0; i < ids.len; i++) {
            if (i) sbuf_putc(&o, ' ');
            char num[16];
            int k = snprintf(num, sizeof num, "%d", (int)ids.ids[i]);
            sbuf_append(&o, num, (size_t)k);
            if (o.len > (1 << 20)) {
                fwrite(o.data, 1, o.len, stdout);
                sbuf_reset(&o);
            }
        }
        sbuf_putc(&o, '\n');
        fwrite(o.data, 1, o.len, stdout);
        sbuf_free(&o);
    }
    bpe_ctx_free(ctx);
    bpe_ids_free(&ids);
    free(text);
    bpe_free(t);
    cli_free(&a);
    return rc ? EXIT_FAILURES : (fflush(stdout) ? EXIT_FAILURES : EXIT_OK);
}
CORPUSD_COMMAND("encode", "print the token ids of a text (tokenizer.json or tiktoken file)", cmd_encode)

static int cmd_decode(int argc, char **argv)
{
    static const char *const known[] = {"tokenizer", NULL};
    cli_args a;
    if (cli_parse(argc, argv, NULL, &a)) return EXIT_USAGE;
    if (a.help || !cli_get(&a, "tokenizer") || a.npos > 1 || cli_check(&a, "decode", known)) {
        printf("usage: corpusd decode --tokenizer tokenizer.json|NAME.tiktoken [FILE|-]\n\n"
               "Reads whitespace-separated token ids (default stdin) and writes their bytes.\n"
               "Exit 1 when an id is not in the vocabulary (it is skipped).\n");
        int help = a.help;
        cli_free(&a);
        return help ? EXIT_OK : EXIT_USAGE;
    }
    cd_err e;
    bpe *t = bpe_load(cli_get(&a, "tokenizer"), &e);
    if (!t) {
        fprintf(stderr, "corpusd decode: %s\n", e.msg);
        cli_free(&a);
        return EXIT_USAGE;
    }
    size_t n;
    char *text = read_all(a.npos ? a.pos[0] : NULL, &n, &e);
    if (!text) {
        fprintf(stderr, "corpusd decode: %s\n", e.msg);
        bpe_free(t);
        cli_free(&a);
        return EXIT_FAILURES;
    }
    bpe_ids ids = {0};
    int bad_input = 0;
    for (char *p = text; *p;) {
        while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r' || *p == ',') p++;
        if (!*p) break;
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 0 || v > INT32_MAX) {
            fprintf(stderr, "corpusd decode: not a token id at byte %zu\n", (size_t)(p - text));
            bad_input = 1;
            break;
        }
        bpe_ids_push(&ids, (int32_t)v);
        p = end;
    }
    sbuf o = SBUF_INIT;
    size_t unknown = 0;
    bpe_decode(t, ids.ids, ids.len, &o, &unknown);
    fwrite(o.data ? o.data : "", 1, o.len, stdout);
    if (unknown) fprintf(stderr, "corpusd decode: %zu unknown id(s) skipped\n", unknown);
    sbuf_free(&o);
    bpe_ids_free(&ids);
    free(text);
    bpe_free(t);
    cli_free(&a);
    return bad_input || unknown ? EXIT_FAILURES : EXIT_OK;
}
CORPUSD_COMMAND("decode", "write the bytes of token ids (inverse of encode)", cmd_decode)
