/*
 * cmd_report.c: `corpusd report --state DIR -o report.html`, a self-contained
 * HTML page (inline SVG, no network) describing a run:
 *   - documents kept and dropped per stage, by reason (from the ledger);
 *   - the language and quality-bucket distributions of the kept documents;
 *   - the histogram of duplicate-cluster sizes (from metadata.dedup_cluster of
 *     the rejects, when a dedup stage ran);
 *   - documents and bytes per source and subset;
 *   - throughput of each run over time;
 *   - the global steps per batch (from global_batches, when the pipeline
 *     ends in dedup:/shards:): documents in, kept and removed as duplicates
 *     against every earlier batch, and the documents and tokens written to
 *     token shards.
 * Distributions are read from the JSONL outputs the ledger lists (up to
 * --max-docs documents). Every bar carries data-label/data-value attributes,
 * and a small inline script records each bar's rendered width, so a test can
 * check in a real browser that the charts render with the right numbers.
 */
#include "cli/cli.h"
#include "core/io.h"
#include "core/ledger.h"
#include "core/log.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct kv {
    char *key;
    double value;
} kv;

typedef struct kvlist {
    kv *items;
    size_t n;
} kvlist;

static void kv_add(kvlist *l, const char *key, double v)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->items[i].key, key)) {
            l->items[i].value += v;
            return;
        }
    l->items = xrealloc(l->items, (l->n + 1) * sizeof *l->items);
    l->items[l->n].key = xstrdup(key);
    l->items[l->n].value = v;
    l->n++;
}

static void kv_free(kvlist *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->items[i].key);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

static int kv_cmp_value(const void *a, const void *b)
{
    const kv *x = a, *y = b;
    if (x->value != y->value) return x->value < y->value ? 1 : -1;
    return strcmp(x->key, y->key);
}

static int kv_cmp_key(const void *a, const void *b) { return strcmp(((const kv *)a)->key, ((const kv *)b)->key); }

static void kv_sort(kvlist *l, int (*cmp)(const void *, const void *))
{
    if (l->n > 1) qsort(l->items, l->n, sizeof *l->items, cmp);
}

static void html_escape(sbuf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': sbuf_puts(b, "&lt;"); break;
        case '>': sbuf_puts(b, "&gt;"); break;
        case '&': sbuf_puts(b, "&amp;"); break;
        case '"': sbuf_puts(b, "&quot;"); break;
        default: sbuf_putc(b, *s);
        }
    }
}

static void fmt_num(char *buf, size_t n, double v)
{
    if (v == floor(v) && fabs(v) < 1e15) snprintf(buf, n, "%.0f", v);
    else snprintf(buf, n, "%.3g", v);
}

/* A horizontal bar chart. */
static void svg_bars(sbuf *b, const char *id, const char *title, const kvlist *l, const char *unit)
{
    sbuf_printf(b, "<section><h2>");
    html_escape(b, title);
    sbuf_printf(b, "</h2>\n");
    if (!l->n) {
        sbuf_puts(b, "<p class=\"empty\">no data</p></section>\n");
        return;
    }
    double max = 0;
    for (size_t i = 0; i < l->n; i++)
        if (l->items[i].value > max) max = l->items[i].value;
    int row = 22, label_w = 260, bar_w = 420;
    int h = (int)l->n * row + 10;
    sbuf_printf(b, "<svg id=\"%s\" class=\"chart\" width=\"%d\" height=\"%d\" xmlns=\"http://www.w3.org/2000/svg\">\n",
                id, label_w + bar_w + 120, h);
    for (size_t i = 0; i < l->n; i++) {
        double v = l->items[i].value;
        double w = max > 0 ? v / max * bar_w : 0;
        int y = (int)i * row + 5;
        char num[64];
        fmt_num(num, sizeof num, v);
        sbuf_printf(b, "  <text x=\"%d\" y=\"%d\" text-anchor=\"end\" class=\"label\">", label_w - 8, y + 14);
        html_escape(b, l->items[i].key);
        sbuf_printf(b, "</text>\n  <rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%.2f\" height=\"%d\" data-label=\"", label_w,
                    y, w, row - 6);
        html_escape(b, l->items[i].key);
        sbuf_printf(b, "\" data-value=\"%s\"></rect>\n", num);
        sbuf_printf(b, "  <text x=\"%.2f\" y=\"%d\" class=\"value\">%s%s</text>\n", label_w + w + 6, y + 14, num,
                    unit ? unit : "");
    }
    sbuf_puts(b, "</svg></section>\n");
}

static void scan_outputs(sqlite3 *db, const char *out_root, int64_t max_docs, kvlist *lang, kvlist *quality,
                         kvlist *clusters, kvlist *per_source, uint64_t *scanned)
{
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "SELECT path, subset FROM outputs ORDER BY path", -1, &st, NULL);
    kvlist cluster_sizes = {0};
    while (sqlite3_step(st) == SQLITE_ROW && (int64_t)*scanned < max_docs) {
        const char *rel = (const char *)sqlite3_column_text(st, 0);
        const char *subset = (const char *)sqlite3_column_text(st, 1);
        if (!strstr(rel, ".jsonl")) continue;
        char *path = xasprintf("%s/%s", out_root, rel);
        cd_err e;
        io_reader *r = io_open(path, &e);
        free(path);
        if (!r) {
            log_warn("report: %s", e.msg);
            continue;
        }
        const char *line;
        size_t n;
        int is_rej = subset && !strcmp(subset, "rejects");
        while ((int64_t)*scanned < max_docs && io_getline(r, &line, &n, &e) == 1) {
            doc *d = doc_from_json(line, n, &e);
            if (!d) continue;
            (*scanned)++;
            if (is_rej) {
                const json_value *c = doc_meta_get(d, "dedup_cluster");
                if (c) {
                    sbuf k = SBUF_INIT;
                    json_write(&k, c);
                    kv_add(&cluster_sizes, k.data, 1);
                    sbuf_free(&k);
                }
            } else {
                size_t ln;
                const char *lg = json_str(doc_meta_get(d, "language"), &ln);
                kv_add(lang, lg ? lg : "(none)", 1);
                const json_value *q = doc_meta_get(d, "quality");
                if (q && q->type == JSON_NUMBER) {
                    double v = q->u.number.value;
                    int bucket = (int)floor(v * 10);
                    if (bucket < 0) bucket = 0;
                    if (bucket > 9) bucket = 9;
                    char k[32];
                    snprintf(k, sizeof k, "%.1f-%.1f", bucket / 10.0, (bucket + 1) / 10.0);
                    kv_add(quality, k, 1);
                }
                char k[256];
                snprintf(k, sizeof k, "%s / %s", d->source[0] ? d->source : "(none)", subset ? subset : "");
                kv_add(per_source, k, 1);
            }
            doc_free(d);
        }
        io_close(r);
    }
    sqlite3_finalize(st);
    /* A cluster's size is its removed members plus the one kept. */
    for (size_t i = 0; i < cluster_sizes.n; i++) {
        char k[32];
        snprintf(k, sizeof k, "size %d", (int)cluster_sizes.items[i].value + 1);
        kv_add(clusters, k, 1);
    }
    kv_free(&cluster_sizes);
}

/* The global steps, batch by batch (nothing when the pipeline has none). */
static void report_global(sqlite3 *db, sbuf *b)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT name, status, docs_in, docs_kept, removed, shard_docs, shard_tokens, created, finished "
                           "FROM global_batches ORDER BY ord",
                           -1, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return;   /* a ledger from before the global steps */
    }
    kvlist removed = {0}, tokens = {0};
    int rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (!rows++)
            sbuf_puts(b, "<section><h2>Global steps per batch</h2><table id=\"global\"><tr><th>batch</th><th>status</th>"
                         "<th>docs in</th><th>kept</th><th>removed</th><th>shard docs</th><th>tokens</th>"
                         "<th>seconds, formed to done</th></tr>\n");
        const char *name = (const char *)sqlite3_column_text(st, 0), *status = (const char *)sqlite3_column_text(st, 1);
        sbuf_puts(b, "<tr><td>");
        html_escape(b, name ? name : "");
        sbuf_puts(b, "</td><td>");
        html_escape(b, status ? status : "");
        long long v[5];
        for (int i = 0; i < 5; i++) v[i] = sqlite3_column_int64(st, 2 + i);
        double secs = sqlite3_column_type(st, 8) == SQLITE_NULL ? -1 : sqlite3_column_double(st, 8) - sqlite3_column_double(st, 7);
        sbuf_printf(b, "</td><td>%lld</td><td>%lld</td><td>%lld</td><td>%lld</td><td>%lld</td><td>", v[0], v[1], v[2], v[3],
                    v[4]);
        if (secs >= 0) sbuf_printf(b, "%.1f", secs);
        sbuf_puts(b, "</td></tr>\n");
        kv_add(&removed, name ? name : "", (double)v[2]);
        kv_add(&tokens, name ? name : "", (double)v[4]);
    }
    sqlite3_finalize(st);
    if (!rows) return;
    sbuf_puts(b, "</table></section>\n");
    svg_bars(b, "global_removed", "Duplicates removed per batch (against this and every earlier batch)", &removed, NULL);
    svg_bars(b, "global_tokens", "Tokens written to shards per batch", &tokens, NULL);
    kv_free(&removed);
    kv_free(&tokens);
}

static int cmd_report(int argc, char **argv)
{
    static const char *const known[] = {"state", "output", "out-dir", "max-docs", NULL};
    cli_args a;
    if (cli_parse(argc, argv, NULL, &a)) return EXIT_USAGE;
    if (a.help || !cli_has(&a, "state") || !cli_has(&a, "output") || cli_check(&a, "report", known)) {
        printf("usage: corpusd report --state DIR -o report.html [--out-dir DIR] [--max-docs N]\n\n"
               "Writes a self-contained HTML report (inline SVG charts, no network) of the run whose\n"
               "ledger is in DIR: kept and dropped documents per stage and reason, language and quality\n"
               "distributions, duplicate-cluster sizes, documents per source and subset, throughput,\n"
               "and the global steps (dedup, shards) per batch.\n"
               "--out-dir is the run's output directory (default: DIR/../out).\n");
        int help = a.help;
        cli_free(&a);
        return help ? EXIT_OK : EXIT_USAGE;
    }
    const char *state = cli_get(&a, "state");
    char *out_root = cli_has(&a, "out-dir") ? xstrdup(cli_get(&a, "out-dir")) : xasprintf("%s/../out", state);
    int64_t max_docs = cli_has(&a, "max-docs") ? atoll(cli_get(&a, "max-docs")) : 1000000;
    char *lpath = xasprintf("%s/ledger.sqlite", state);
    sqlite3 *db;
    if (sqlite3_open_v2(lpath, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "corpusd report: cannot open %s\n", lpath);
        sqlite3_close(db);
        free(lpath);
        free(out_root);
        cli_free(&a);
        return EXIT_USAGE;
    }
    sbuf b = SBUF_INIT;
    sbuf_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>corpusd report</title>\n"
                  "<style>body{font-family:sans-serif;margin:2em;max-width:900px}h2{font-size:1.1em;margin-top:2em}"
                  ".bar{fill:#4a7fb5}.label,.value{font-size:12px}.empty{color:#888}"
                  "table{border-collapse:collapse}td,th{padding:2px 10px;border-bottom:1px solid #ddd;text-align:right}"
                  "</style></head><body>\n<h1>corpusd report</h1>\n<p>state: ");
    html_escape(&b, state);
    sbuf_puts(&b, "</p>\n");

    /* Kept and dropped per stage, by reason. */
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "SELECT idx, stage, SUM(docs_in), SUM(docs_out) FROM stage_stats GROUP BY idx, stage ORDER BY idx",
                       -1, &st, NULL);
    sbuf_puts(&b, "<section><h2>Documents per stage</h2><table id=\"stages\"><tr><th>stage</th><th>in</th><th>out</th>"
                  "<th>dropped</th></tr>\n");
    kvlist drops = {0};
    while (sqlite3_step(st) == SQLITE_ROW) {
        int idx = sqlite3_column_int(st, 0);
        const char *name = (const char *)sqlite3_column_text(st, 1);
        long long in = sqlite3_column_int64(st, 2), out = sqlite3_column_int64(st, 3);
        sbuf_printf(&b, "<tr><td>%d %s</td><td>%lld</td><td>%lld</td><td>%lld</td></tr>\n", idx, name, in, out,
                    in > out ? in - out : 0);
        sqlite3_stmt *q;
        sqlite3_prepare_v2(db,
                           "SELECT name, SUM(value) FROM stage_counts WHERE idx=? AND kind='drop' GROUP BY name ORDER BY name",
                           -1, &q, NULL);
        sqlite3_bind_int(q, 1, idx);
        while (sqlite3_step(q) == SQLITE_ROW) {
            char k[300];
            snprintf(k, sizeof k, "%s: %s", name, (const char *)sqlite3_column_text(q, 0));
            kv_add(&drops, k, (double)sqlite3_column_int64(q, 1));
        }
        sqlite3_finalize(q);
    }
    sqlite3_finalize(st);
    sbuf_puts(&b, "</table></section>\n");
    svg_bars(&b, "drops", "Dropped documents by stage and reason", &drops, NULL);

    kvlist lang = {0}, quality = {0}, clusters = {0}, per_source = {0};
    uint64_t scanned = 0;
    scan_outputs(db, out_root, max_docs, &lang, &quality, &clusters, &per_source, &scanned);
    kv_sort(&lang, kv_cmp_value);
    kv_sort(&quality, kv_cmp_key);
    kv_sort(&clusters, kv_cmp_key);
    kv_sort(&per_source, kv_cmp_key);
    svg_bars(&b, "languages", "Kept documents by language (metadata.language)", &lang, NULL);
    svg_bars(&b, "quality", "Kept documents by quality bucket (metadata.quality)", &quality, NULL);
    svg_bars(&b, "clusters", "Duplicate clusters by size (metadata.dedup_cluster)", &clusters, NULL);
    svg_bars(&b, "sources", "Kept documents by source / subset", &per_source, NULL);

    kvlist subsets = {0};
    sqlite3_prepare_v2(db, "SELECT subset, SUM(bytes) FROM outputs GROUP BY subset ORDER BY subset", -1, &st, NULL);
    while (sqlite3_step(st) == SQLITE_ROW)
        kv_add(&subsets, (const char *)sqlite3_column_text(st, 0), (double)sqlite3_column_int64(st, 1));
    sqlite3_finalize(st);
    svg_bars(&b, "subset_bytes", "Output bytes by subset", &subsets, " B");

    kvlist runs = {0};
    sqlite3_prepare_v2(db,
                       "SELECT r.id, r.started, r.finished, (SELECT COALESCE(SUM(docs_in),0) FROM inputs i WHERE "
                       "i.run_id=r.id AND i.status='done') FROM runs r WHERE r.finished IS NOT NULL ORDER BY r.id",
                       -1, &st, NULL);
    while (sqlite3_step(st) == SQLITE_ROW) {
        double secs = sqlite3_column_double(st, 2) - sqlite3_column_double(st, 1);
        time_t t = (time_t)sqlite3_column_double(st, 1);
        struct tm tm;
        gmtime_r(&t, &tm);
        char k[64];
        snprintf(k, sizeof k, "run %d (%04d-%02d-%02d %02d:%02d)", sqlite3_column_int(st, 0), tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
        kv_add(&runs, k, secs > 0 ? floor((double)sqlite3_column_int64(st, 3) / secs) : 0);
    }
    sqlite3_finalize(st);
    svg_bars(&b, "throughput", "Throughput per run (documents/s)", &runs, NULL);

    report_global(db, &b);

    sbuf_printf(&b, "<p>distributions from %llu output documents.</p>\n", (unsigned long long)scanned);
    /* Records each bar's rendered width, so a headless browser can confirm
     * the charts were laid out (and in proportion to their values). */
    sbuf_puts(&b, "<script>for(const r of document.querySelectorAll('rect.bar')){"
                  "r.setAttribute('data-rendered-width',r.getBoundingClientRect().width.toFixed(2));}"
                  "document.body.setAttribute('data-rendered','1');</script>\n</body></html>\n");
    cd_err e;
    int rc = cd_write_file_atomic(cli_get(&a, "output"), b.data, b.len, &e);
    if (rc) fprintf(stderr, "corpusd report: %s\n", e.msg);
    else printf("wrote %s\n", cli_get(&a, "output"));
    kv_free(&drops);
    kv_free(&lang);
    kv_free(&quality);
    kv_free(&clusters);
    kv_free(&per_source);
    kv_free(&subsets);
    kv_free(&runs);
    sbuf_free(&b);
    sqlite3_close(db);
    free(lpath);
    free(out_root);
    cli_free(&a);
    return rc ? EXIT_FAILURES : EXIT_OK;
}
CORPUSD_COMMAND("report", "write a self-contained HTML report (inline SVG charts) of a run", cmd_report)
