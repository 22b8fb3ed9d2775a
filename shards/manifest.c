/*
 * manifest.c: counting per source/subset and writing manifest.json (see
 * manifest.h). Names are kept in first-seen order, which is input order, so
 * the manifest is deterministic.
 */
#include "shards/manifest.h"

#include "core/json.h"
#include "core/version.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static void add(manifest_count **v, size_t *n, const char *name, uint64_t docs, uint64_t tokens)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*v)[i].name, name)) {
            (*v)[i].docs += docs;
            (*v)[i].tokens += tokens;
            return;
        }
    *v = xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[*n].name = xstrdup(name);
    (*v)[*n].docs = docs;
    (*v)[*n].tokens = tokens;
    (*n)++;
}

void manifest_counts_add(manifest_counts *c, const char *source, const char *subset, uint64_t docs, uint64_t tokens)
{
    add(&c->sources, &c->nsources, source, docs, tokens);
    add(&c->subsets, &c->nsubsets, subset, docs, tokens);
}

void manifest_counts_merge(manifest_counts *dst, const manifest_counts *src)
{
    for (size_t i = 0; i < src->nsources; i++)
        add(&dst->sources, &dst->nsources, src->sources[i].name, src->sources[i].docs, src->sources[i].tokens);
    for (size_t i = 0; i < src->nsubsets; i++)
        add(&dst->subsets, &dst->nsubsets, src->subsets[i].name, src->subsets[i].docs, src->subsets[i].tokens);
}

void manifest_counts_free(manifest_counts *c)
{
    for (size_t i = 0; i < c->nsources; i++) free(c->sources[i].name);
    for (size_t i = 0; i < c->nsubsets; i++) free(c->subsets[i].name);
    free(c->sources);
    free(c->subsets);
    memset(c, 0, sizeof *c);
}

static void counts_obj(sbuf *b, const manifest_count *v, size_t n)
{
    sbuf_putc(b, '{');
    for (size_t i = 0; i < n; i++) {
        if (i) sbuf_putc(b, ',');
        sbuf_puts(b, "\n    ");
        json_write_string(b, v[i].name, strlen(v[i].name));
        sbuf_printf(b, ": {\"docs\": %llu, \"tokens\": %llu}", (unsigned long long)v[i].docs,
                    (unsigned long long)v[i].tokens);
    }
    sbuf_puts(b, n ? "\n  }" : "}");
}

int manifest_write(const char *path, const manifest_info *mi, const output_list *files, const manifest_counts *c,
                   cd_err *e)
{
    sbuf b = SBUF_INIT;
    char cfg_hash[17];
    snprintf(cfg_hash, sizeof cfg_hash, "%016llx",
             (unsigned long long)XXH3_64bits(mi->config, strlen(mi->config)));
    sbuf_printf(&b, "{\n  \"corpusd_version\": \"%s\",\n  \"format\": ", CORPUSD_VERSION);
    json_write_string(&b, mi->format, strlen(mi->format));
    sbuf_puts(&b, ",\n  \"tokenizer\": {\"path\": ");
    json_write_string(&b, mi->tokenizer_path, strlen(mi->tokenizer_path));
    sbuf_printf(&b, ", \"kind\": \"%s\", \"hash\": \"%s\", \"vocab_size\": %zu, \"eod\": %d},\n",
                bpe_kind(mi->tokenizer), bpe_hash(mi->tokenizer), bpe_vocab_size(mi->tokenizer),
                (int)bpe_eos_id(mi->tokenizer));
    sbuf_printf(&b, "  \"config_hash\": \"%s\",\n  \"config\": ", cfg_hash);
    json_write_string(&b, mi->config, strlen(mi->config));
    sbuf_printf(&b, ",\n  \"docs\": %llu,\n  \"tokens\": %llu,\n  \"skipped\": {\"empty_after_tokenize\": %llu, "
                    "\"malformed_record\": %llu, \"failed_input\": %llu},\n  \"files\": [",
                (unsigned long long)mi->docs, (unsigned long long)mi->tokens, (unsigned long long)mi->empty_docs,
                (unsigned long long)mi->bad_records, (unsigned long long)mi->failed_inputs);
    for (size_t i = 0; i < files->len; i++) {
        const output_file *f = &files->files[i];
        sbuf_puts(&b, i ? ",\n    {\"path\": " : "\n    {\"path\": ");
        json_write_string(&b, f->path, strlen(f->path));
        sbuf_printf(&b, ", \"docs\": %llu, \"bytes\": %llu, \"xxh3\": \"%s\"}", (unsigned long long)f->docs,
                    (unsigned long long)f->bytes, f->checksum);
    }
    sbuf_puts(&b, files->len ? "\n  ],\n  \"sources\": " : "],\n  \"sources\": ");
    counts_obj(&b, c->sources, c->nsources);
    sbuf_puts(&b, ",\n  \"subsets\": ");
    counts_obj(&b, c->subsets, c->nsubsets);
    sbuf_puts(&b, "\n}\n");
    int rc = cd_write_file_atomic(path, b.data, b.len, e);
    sbuf_free(&b);
    return rc;
}
