/*
 * stage.c: statistics, output lists and the registry of commands, stages,
 * readers and writers. The registry is filled by constructors before main()
 * and read-only afterwards, so lookups need no lock.
 */
#include "core/stage.h"

#include <stdlib.h>
#include <string.h>

static void count_add(stat_count **arr, size_t *n, const char *name, uint64_t v)
{
    for (size_t i = 0; i < *n; i++) {
        if (strcmp((*arr)[i].name, name) == 0) {
            (*arr)[i].value += v;
            return;
        }
    }
    /* Keep the array sorted by name so that reports are stable. */
    *arr = xrealloc(*arr, (*n + 1) * sizeof **arr);
    size_t pos = *n;
    while (pos > 0 && strcmp((*arr)[pos - 1].name, name) > 0) {
        (*arr)[pos] = (*arr)[pos - 1];
        pos--;
    }
    (*arr)[pos].name = xstrdup(name);
    (*arr)[pos].value = v;
    (*n)++;
}

static uint64_t count_get(const stat_count *arr, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(arr[i].name, name) == 0) return arr[i].value;
    return 0;
}

void stats_drop(stage_stats *s, const char *reason, uint64_t n) { count_add(&s->drops, &s->ndrops, reason, n); }
void stats_count(stage_stats *s, const char *name, uint64_t n) { count_add(&s->counters, &s->ncounters, name, n); }
uint64_t stats_get_drop(const stage_stats *s, const char *r) { return count_get(s->drops, s->ndrops, r); }
uint64_t stats_get_count(const stage_stats *s, const char *n) { return count_get(s->counters, s->ncounters, n); }

void stats_merge(stage_stats *dst, const stage_stats *src)
{
    dst->docs_in += src->docs_in;
    dst->docs_out += src->docs_out;
    dst->bytes_in += src->bytes_in;
    dst->bytes_out += src->bytes_out;
    dst->seconds += src->seconds;
    for (size_t i = 0; i < src->ndrops; i++) stats_drop(dst, src->drops[i].name, src->drops[i].value);
    for (size_t i = 0; i < src->ncounters; i++)
        stats_count(dst, src->counters[i].name, src->counters[i].value);
}

void stats_free(stage_stats *s)
{
    for (size_t i = 0; i < s->ndrops; i++) free(s->drops[i].name);
    for (size_t i = 0; i < s->ncounters; i++) free(s->counters[i].name);
    free(s->drops);
    free(s->counters);
    memset(s, 0, sizeof *s);
}

void output_list_add(output_list *l, const char *path, const char *subset, uint64_t docs,
                     uint64_t bytes, uint64_t raw_bytes, const char *checksum)
{
    l->files = xrealloc(l->files, (l->len + 1) * sizeof *l->files);
    output_file *f = &l->files[l->len++];
    f->path = xstrdup(path);
    f->subset = xstrdup(subset ? subset : "");
    f->docs = docs;
    f->bytes = bytes;
    f->raw_bytes = raw_bytes;
    snprintf(f->checksum, sizeof f->checksum, "%s", checksum ? checksum : "");
}

void output_list_free(output_list *l)
{
    for (size_t i = 0; i < l->len; i++) {
        free(l->files[i].path);
        free(l->files[i].subset);
    }
    free(l->files);
    l->files = NULL;
    l->len = 0;
}

/* ---------------------------------------------------------------- registry */

#define REG_MAX 256
static const command *g_commands[REG_MAX];
static size_t g_ncommands;
static const stage_ops *g_stages[REG_MAX];
static size_t g_nstages;
static const reader_ops *g_readers[REG_MAX];
static size_t g_nreaders;
static const writer_ops *g_writers[REG_MAX];
static size_t g_nwriters;

#define REG_ADD(arr, n, item, kind)                                                  \
    do {                                                                            \
        if (n >= REG_MAX) cd_die("too many registered " kind);                      \
        for (size_t i_ = 0; i_ < n; i_++)                                           \
            if (strcmp(arr[i_]->name, item->name) == 0)                             \
                cd_die("duplicate registration of " kind " '%s'", item->name);      \
        size_t pos_ = n;                                                            \
        while (pos_ > 0 && strcmp(arr[pos_ - 1]->name, item->name) > 0) {          \
            arr[pos_] = arr[pos_ - 1];                                              \
            pos_--;                                                                 \
        }                                                                           \
        arr[pos_] = item;                                                           \
        n++;                                                                        \
    } while (0)

void registry_add_command(const command *c) { REG_ADD(g_commands, g_ncommands, c, "command"); }
void registry_add_stage(const stage_ops *o) { REG_ADD(g_stages, g_nstages, o, "stage"); }
void registry_add_reader(const reader_ops *o) { REG_ADD(g_readers, g_nreaders, o, "reader"); }
void registry_add_writer(const writer_ops *o) { REG_ADD(g_writers, g_nwriters, o, "writer"); }

#define REG_FIND(arr, n, nm)                                     \
    do {                                                         \
        for (size_t i_ = 0; i_ < n; i_++)                        \
            if (strcmp(arr[i_]->name, nm) == 0) return arr[i_];  \
        return NULL;                                             \
    } while (0)

const command *registry_command(const char *name) { REG_FIND(g_commands, g_ncommands, name); }
const stage_ops *registry_stage(const char *name) { REG_FIND(g_stages, g_nstages, name); }
const reader_ops *registry_reader(const char *name) { REG_FIND(g_readers, g_nreaders, name); }
const writer_ops *registry_writer(const char *name) { REG_FIND(g_writers, g_nwriters, name); }

const reader_ops *registry_reader_for_path(const char *path)
{
    const reader_ops *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < g_nreaders; i++) {
        for (const char *const *s = g_readers[i]->suffixes; s && *s; s++) {
            size_t l = strlen(*s);
            if (l > best_len && cd_ends_with(path, *s)) {
                best = g_readers[i];
                best_len = l;
            }
        }
    }
    return best;
}

const command *registry_command_at(size_t i) { return i < g_ncommands ? g_commands[i] : NULL; }
const stage_ops *registry_stage_at(size_t i) { return i < g_nstages ? g_stages[i] : NULL; }
const reader_ops *registry_reader_at(size_t i) { return i < g_nreaders ? g_readers[i] : NULL; }
const writer_ops *registry_writer_at(size_t i) { return i < g_nwriters ? g_writers[i] : NULL; }
