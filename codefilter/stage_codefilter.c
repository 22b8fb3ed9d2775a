/*
 * stage_codefilter.c: the `codefilter` stage: license enforcement, code
 * quality filters and secret redaction for source files, one document per
 * file (as the `github` reader emits them: metadata.repo, path, language).
 *
 * License decision, per file:
 *  - repository level: license files (cf_is_license_filename) and manifest
 *    `license` fields found anywhere in the repository; a license found in
 *    a directory applies below it and the nearest one up the tree wins (a
 *    license file beats a manifest in the same directory; several license
 *    files in one directory are alternatives, joined with OR);
 *  - file level: an SPDX-License-Identifier tag (an SPDX expression), else a
 *    license notice in the leading comment matched against the templates;
 *  - the file level replaces the repository level unless the repository's
 *    is more restrictive (so a GPL header in an MIT repository is denied,
 *    and an MIT file in a GPL repository stays denied).
 * The verdict comes from the policy: allow- and deny-lists of ids or
 * prefixes ("GPL-*"); OR takes the most permissive operand, AND the most
 * restrictive. Unlicensed and unknown licenses are dropped unless the
 * keep_unlicensed / keep_unknown switches say otherwise.
 *
 * Documents of one repository arrive contiguously; the stage holds them back
 * until the repository changes (or the input ends), so that license files
 * found late in an archive still apply to files read before them. Output
 * order is input order. Documents without metadata.repo stand alone.
 * Shared state (policy, thresholds) is read-only; each instance owns its
 * pending repository and PCRE2 match data.
 */
#include "codefilter/codefilter.h"
#include "core/log.h"
#include "core/stage.h"

#include <stdlib.h>
#include <string.h>

/* Defaults: permissive licenses The Stack v2 kept (Lozhkov et al. 2024,
 * from the Blue Oak Council list) and the copyleft/non-commercial families
 * the issue names. The lists can be replaced (allow, deny) or extended
 * (allow_extra, deny_extra) in the config. */
static const char *const DEFAULT_ALLOW[] = {
    "MIT", "MIT-0", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "ISC", "Zlib", "Unlicense", "CC0-1.0",
    "BSL-1.0", "0BSD", "PostgreSQL", "X11", "NCSA", "UPL-1.0", "BSD-3-Clause-Clear", "BSD-2-Clause-Patent",
    "Python-2.0", "WTFPL", "CC-BY-4.0", "CC-BY-3.0", "Apache-1.1", "MIT-CMU", "HPND", "Artistic-2.0", "BlueOak-1.0.0",
    "FSFULLR", "FSFUL", "FSFAP", NULL};
static const char *const DEFAULT_DENY[] = {
    "GPL-*", "LGPL-*", "AGPL-*", "MPL-*", "EPL-*", "CC-BY-SA-*", "CC-BY-NC-*", "CC-BY-ND-*", "SSPL-*",
    "CDDL-*", "EUPL-*", "OSL-*", "CPL-*", "BUSL-*", "Elastic-*", "PolyForm-*", "LicenseRef-Proprietary",
    "LicenseRef-Commercial", "Proprietary", "Commercial", "GFDL-*", NULL};

static const param_spec CF_PARAMS[] = {
    {"license_threshold", PARAM_DOUBLE, "0.9", "least Dice score of a license match (askalono's default 0.9)"},
    {"allow", PARAM_STRLIST, NULL, "allowed license ids or prefixes ('X-*'); replaces the built-in list"},
    {"allow_extra", PARAM_STRLIST, NULL, "ids added to the allow-list"},
    {"deny", PARAM_STRLIST, NULL, "denied license ids or prefixes; replaces the built-in list"},
    {"deny_extra", PARAM_STRLIST, NULL, "ids added to the deny-list"},
    {"keep_unlicensed", PARAM_BOOL, "false", "keep files with no license at all (The Stack v2 kept them)"},
    {"keep_unknown", PARAM_BOOL, "false", "keep files whose license is on neither list"},
    {"tag_max_bytes", PARAM_SIZE, "4096", "where to look for SPDX-License-Identifier (REUSE puts it first)"},
    {"quality", PARAM_BOOL, "true", "apply StarCoder2's quality filters"},
    {"redact_secrets", PARAM_BOOL, "true", "replace credentials with <REDACTED:kind>"},
    {"drop_vendored", PARAM_BOOL, "false", "drop third-party copies by Linguist's vendor paths (vendor/, "
     "node_modules/, third_party/, ...) as `vendored`"},
    {"max_lines", PARAM_INT, "100000", "StarCoder2: drop files over 100k lines"},
    {"max_avg_line", PARAM_DOUBLE, "100", "StarCoder2: drop code with average line over 100"},
    {"max_line", PARAM_INT, "1000", "StarCoder2: drop code with a line over 1000"},
    {"data_max_line", PARAM_INT, "100000", "StarCoder2: data/markup files, longest line limit"},
    {"min_alpha", PARAM_DOUBLE, "0.25", "StarCoder2: drop files under 25% alphabetic"},
    {"max_encoded", PARAM_INT, "1024", "StarCoder2: drop files with a base64/hex/\\u blob over 1024"},
    {"max_encoded_frac", PARAM_DOUBLE, "0.5", "StarCoder2: or encoded data over 50% of the file"},
    {"data_max_file_lines", PARAM_INT, "512", "StarCoder2: drop text/JSON/YAML over 512 lines"},
    {"html_min_visible", PARAM_INT, "100", "StarCoder2: HTML needs 100 visible characters"},
    {"html_min_visible_frac", PARAM_DOUBLE, "0.2", "StarCoder2: and 20% visible text"},
    {0},
};

typedef struct cf_shared {
    double threshold;
    char **allow, **deny;
    size_t nallow, ndeny;
    cf_policy policy;
    int keep_unlicensed, keep_unknown, quality, redact, drop_vendored;
    size_t tag_max;
    cf_quality_params q;
} cf_shared;

static void add_list(char ***dst, size_t *n, const char *const *items, size_t k)
{
    *dst = xrealloc(*dst, (*n + k + 1) * sizeof **dst);
    for (size_t i = 0; i < k; i++) (*dst)[(*n)++] = xstrdup(items[i]);
}

static size_t count(const char *const *l)
{
    size_t n = 0;
    while (l[n]) n++;
    return n;
}

static void cf_fini(void *p)
{
    cf_shared *sh = p;
    if (!sh) return;
    for (size_t i = 0; i < sh->nallow; i++) free(sh->allow[i]);
    for (size_t i = 0; i < sh->ndeny; i++) free(sh->deny[i]);
    free(sh->allow);
    free(sh->deny);
    free(sh);
}

static int cf_init(const cfg_params *p, void **out, cd_err *e)
{
    cf_shared *sh = xcalloc(1, sizeof *sh);
    sh->threshold = param_double(p, "license_threshold");
    if (sh->threshold <= 0 || sh->threshold > 1) {
        free(sh);
        return cd_fail(e, CD_ECONFIG, "%s: license_threshold must be in (0, 1]", param_owner(p));
    }
    const char *const *items;
    size_t k;
    if (param_given(p, "allow")) k = param_strlist(p, "allow", &items), add_list(&sh->allow, &sh->nallow, items, k);
    else add_list(&sh->allow, &sh->nallow, DEFAULT_ALLOW, count(DEFAULT_ALLOW));
    if (param_given(p, "deny")) k = param_strlist(p, "deny", &items), add_list(&sh->deny, &sh->ndeny, items, k);
    else add_list(&sh->deny, &sh->ndeny, DEFAULT_DENY, count(DEFAULT_DENY));
    k = param_strlist(p, "allow_extra", &items);
    add_list(&sh->allow, &sh->nallow, items, k);
    k = param_strlist(p, "deny_extra", &items);
    add_list(&sh->deny, &sh->ndeny, items, k);
    sh->policy = (cf_policy){(const char *const *)sh->allow, sh->nallow, (const char *const *)sh->deny, sh->ndeny};
    sh->keep_unlicensed = param_bool(p, "keep_unlicensed");
    sh->keep_unknown = param_bool(p, "keep_unknown");
    sh->quality = param_bool(p, "quality");
    sh->redact = param_bool(p, "redact_secrets");
    sh->drop_vendored = param_bool(p, "drop_vendored");
    sh->tag_max = (size_t)param_size(p, "tag_max_bytes");
    cf_quality_defaults(&sh->q);
    sh->q.max_lines = param_int(p, "max_lines");
    sh->q.max_avg_line = param_double(p, "max_avg_line");
    sh->q.max_line = param_int(p, "max_line");
    sh->q.data_max_line = param_int(p, "data_max_line");
    sh->q.min_alpha = param_double(p, "min_alpha");
    sh->q.max_encoded = param_int(p, "max_encoded");
    sh->q.max_encoded_frac = param_double(p, "max_encoded_frac");
    sh->q.data_max_file_lines = param_int(p, "data_max_file_lines");
    sh->q.html_min_visible = param_int(p, "html_min_visible");
    sh->q.html_min_visible_frac = param_double(p, "html_min_visible_frac");
    cf_license_db_builtin(); /* build the bigram sets before threads start */
    *out = sh;
    return 0;
}

/* ------------------------------------------------------------- instance */

typedef struct cf_inst {
    doc_batch pending;
    char *repo;
    cf_secrets *sec;
    uint64_t *secret_counts;
} cf_inst;

static int cf_open(stage *s, cd_err *e)
{
    cf_inst *in = xcalloc(1, sizeof *in);
    in->sec = cf_secrets_new(e);
    if (!in->sec) {
        free(in);
        return -1;
    }
    in->secret_counts = xcalloc(cf_secrets_nkinds(), sizeof *in->secret_counts);
    s->priv = in;
    return 0;
}

static void cf_close(stage *s)
{
    cf_inst *in = s->priv;
    if (!in) return;
    doc_batch_free(&in->pending);
    free(in->repo);
    cf_secrets_free(in->sec);
    free(in->secret_counts);
    free(in);
    s->priv = NULL;
}

/* A license found for a directory of the repository. */
typedef struct dir_license {
    char *dir;             /* "" for the root, else "a/b" */
    sbuf expr;             /* SPDX expression text */
    const char *source;    /* "repo_file" or "manifest" */
    double score;
    char *runner_up;
    double runner_up_score;
    char *file;            /* the license file or manifest path */
    int nfiles;
} dir_license;

static const char *meta_str(const doc *d, const char *key)
{
    size_t n;
    const char *s = json_str(doc_meta_get(d, key), &n);
    return s;
}

static char *dirname_of(const char *path)
{
    const char *sl = strrchr(path, '/');
    return sl ? xstrndup(path, (size_t)(sl - path)) : xstrdup("");
}

static const char *basename_of(const char *path)
{
    const char *sl = strrchr(path, '/');
    return sl ? sl + 1 : path;
}

static dir_license *dl_get(dir_license **v, size_t *n, const char *dir)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*v)[i].dir, dir)) return &(*v)[i];
    *v = xrealloc(*v, (*n + 1) * sizeof **v);
    dir_license *d = &(*v)[(*n)++];
    memset(d, 0, sizeof *d);
    d->dir = xstrdup(dir);
    return d;
}

/* The verdict of an expression string; CF_UNKNOWN when it does not parse. */
static cf_verdict verdict_of(const cf_shared *sh, const char *expr)
{
    cd_err e;
    cf_spdx_node *x = cf_spdx_parse(expr, strlen(expr), &e);
    if (!x) return CF_UNKNOWN;
    cf_verdict v = cf_policy_expr(&sh->policy, x);
    cf_spdx_free(x);
    return v;
}

typedef struct decision {
    char *spdx;                /* expression or id; NULL = unlicensed */
    const char *source;
    double score;
    char *runner_up;
    double runner_up_score;
    const char *file;
    cf_verdict v;
} decision;

static void scan_repo(stage *s, doc_batch *docs, dir_license **out, size_t *nout)
{
    const cf_shared *sh = s->shared;
    const cf_license_db *db = cf_license_db_builtin();
    for (size_t i = 0; i < docs->len; i++) {
        const doc *d = docs->docs[i];
        const char *path = meta_str(d, "path");
        if (!path) continue;
        const char *base = basename_of(path);
        char *dir = dirname_of(path);
        if (cf_is_license_filename(base)) {
            cf_match m;
            int ok = cf_license_match_text(db, d->text, d->text_len, sh->threshold, &m);
            dir_license *dl = dl_get(out, nout, dir);
            if (dl->source && !strcmp(dl->source, "manifest")) {   /* a license file beats a manifest */
                sbuf_reset(&dl->expr);
                dl->nfiles = 0;
            }
            const char *id = ok ? m.spdx : "LicenseRef-unmatched";
            if (dl->nfiles) {
                /* several license files in one directory: alternatives */
                if (!strstr(dl->expr.data, id)) {
                    sbuf_puts(&dl->expr, " OR ");
                    sbuf_puts(&dl->expr, id);
                }
                if (m.score < dl->score) dl->score = m.score;
            } else {
                sbuf_puts(&dl->expr, id);
                dl->score = m.score;
                free(dl->runner_up);
                dl->runner_up = m.runner_up ? xstrdup(m.runner_up) : NULL;
                dl->runner_up_score = m.runner_up_score;
                free(dl->file);
                dl->file = xstrdup(path);
            }
            dl->source = "repo_file";
            dl->nfiles++;
            stats_count(&s->stats, ok ? "license_file_matched" : "license_file_unmatched", 1);
        } else {
            char *lic = cf_manifest_license(base, d->text, d->text_len);
            if (lic) {
                cd_err e;
                cf_spdx_node *x = cf_spdx_parse(lic, strlen(lic), &e);
                if (x) {
                    dir_license *dl = dl_get(out, nout, dir);
                    if (!dl->source) {
                        sbuf tmp = SBUF_INIT;
                        cf_spdx_write(x, &tmp);
                        sbuf_append(&dl->expr, tmp.data, tmp.len);
                        sbuf_free(&tmp);
                        dl->source = "manifest";
                        dl->score = 1.0;
                        dl->file = xstrdup(path);
                    }
                    cf_spdx_free(x);
                    stats_count(&s->stats, "manifest_license", 1);
                } else {
                    stats_count(&s->stats, "manifest_license_invalid", 1);
                }
                free(lic);
            }
        }
        free(dir);
    }
}

static void decide(stage *s, doc *d, dir_license *dls, size_t ndl)
{
    const cf_shared *sh = s->shared;
    decision repo = {0}, file = {0};
    const char *path = meta_str(d, "path");
    /* repository level: nearest directory up the tree */
    if (path && ndl) {
        char *dir = dirname_of(path);
        for (;;) {
            dir_license *hit = NULL;
            for (size_t i = 0; i < ndl; i++)
                if (!strcmp(dls[i].dir, dir)) hit = &dls[i];
            if (hit) {
                repo.spdx = xstrdup(hit->expr.data);
                repo.source = hit->source;
                repo.score = hit->score;
                repo.runner_up = hit->runner_up ? xstrdup(hit->runner_up) : NULL;
                repo.runner_up_score = hit->runner_up_score;
                repo.file = hit->file;
                repo.v = verdict_of(sh, repo.spdx);
                break;
            }
            if (!*dir) break;
            char *sl = strrchr(dir, '/');
            if (sl) *sl = 0;
            else dir[0] = 0;
        }
        free(dir);
    }
    /* file level: SPDX tag, else a header notice */
    const char *ex;
    size_t exn = cf_spdx_find_tag(d->text, d->text_len, sh->tag_max, &ex);
    if (exn) {
        cd_err e;
        cf_spdx_node *x = cf_spdx_parse(ex, exn, &e);
        if (x) {
            sbuf t = SBUF_INIT;
            cf_spdx_write(x, &t);
            file.spdx = sbuf_detach(&t, NULL);
            file.source = "tag";
            file.score = 1.0;
            file.v = cf_policy_expr(&sh->policy, x);
            cf_spdx_free(x);
        } else {
            stats_count(&s->stats, "spdx_tag_invalid", 1);
            log_warn("%s: invalid SPDX-License-Identifier: %s", d->id, e.msg);
        }
    }
    if (!file.spdx && !(path && cf_is_license_filename(basename_of(path)))) {
        const char *hs;
        size_t hn = cf_leading_comment(d->text, d->text_len, &hs);
        cf_match m;
        if (hn && cf_license_match_header(cf_license_db_builtin(), hs, hn, sh->threshold, &m)) {
            file.spdx = xstrdup(m.spdx);
            file.source = "header";
            file.score = m.score;
            file.runner_up = m.runner_up ? xstrdup(m.runner_up) : NULL;
            file.runner_up_score = m.runner_up_score;
            file.v = cf_policy_license(&sh->policy, m.spdx);
        }
    }
    decision *use = NULL;
    /* The file's own statement wins unless the repository's is stricter. */
    if (file.spdx && repo.spdx) use = file.v >= repo.v ? &file : &repo;
    else if (file.spdx) use = &file;
    else if (repo.spdx) use = &repo;
    const char *reason = NULL;
    if (use) {
        doc_meta_set_str(d, "license_spdx", use->spdx);
        doc_meta_set_str(d, "license_source", use->source);
        doc_meta_set_num(d, "license_score", (double)(int64_t)(use->score * 10000 + 0.5) / 10000);
        if (use->runner_up) {
            doc_meta_set_str(d, "license_runner_up", use->runner_up);
            doc_meta_set_num(d, "license_runner_up_score",
                             (double)(int64_t)(use->runner_up_score * 10000 + 0.5) / 10000);
        }
        if (use->file) doc_meta_set_str(d, "license_file", use->file);
        doc_meta_set_str(d, "license_decision", cf_verdict_name(use->v));
        if (use->v == CF_DENY) reason = "license_denied";
        else if (use->v == CF_UNKNOWN && !sh->keep_unknown) reason = "license_unknown";
        stats_count(&s->stats, use == &file ? "license_file_level" : "license_repo_level", 1);
    } else {
        /* SPDX's NONE: no license at all, recorded so every file is auditable */
        doc_meta_set_str(d, "license_spdx", "NONE");
        doc_meta_set_str(d, "license_source", "none");
        doc_meta_set_num(d, "license_score", 0);
        doc_meta_set_str(d, "license_decision", "unlicensed");
        if (!sh->keep_unlicensed) reason = "unlicensed";
    }
    free(repo.spdx);
    free(repo.runner_up);
    free(file.spdx);
    free(file.runner_up);
    if (reason) {
        doc_drop(d, reason);
        return;
    }
    if (sh->drop_vendored && cf_is_vendored(path)) {
        doc_drop(d, "vendored");
        return;
    }
    if (sh->quality) {
        const char *q = cf_quality_check(&sh->q, meta_str(d, "language"), path, d->text, d->text_len);
        if (q) {
            doc_drop(d, q);
            return;
        }
    }
    if (sh->redact) {
        cf_inst *in = s->priv;
        sbuf out = SBUF_INIT;
        int n = cf_secrets_redact(in->sec, d->text, d->text_len, &out, in->secret_counts);
        if (n) {
            doc_set_text(d, out.data, out.len);
            doc_meta_set_int(d, "secrets_redacted", n);
        }
        sbuf_free(&out);
    }
}

/* Decides every pending document and moves them to out. */
static void finish_repo(stage *s, doc_batch *out)
{
    cf_inst *in = s->priv;
    dir_license *dls = NULL;
    size_t ndl = 0;
    scan_repo(s, &in->pending, &dls, &ndl);
    for (size_t i = 0; i < in->pending.len; i++) {
        decide(s, in->pending.docs[i], dls, ndl);
        doc_batch_push(out, in->pending.docs[i]);
    }
    in->pending.len = 0;
    for (size_t i = 0; i < ndl; i++) {
        free(dls[i].dir);
        sbuf_free(&dls[i].expr);
        free(dls[i].runner_up);
        free(dls[i].file);
    }
    free(dls);
    free(in->repo);
    in->repo = NULL;
}

static void flush_counts(stage *s)
{
    cf_inst *in = s->priv;
    for (size_t k = 0; k < cf_secrets_nkinds(); k++)
        if (in->secret_counts[k]) {
            char name[64];
            snprintf(name, sizeof name, "secret_%s", cf_secrets_kind(k));
            stats_count(&s->stats, name, in->secret_counts[k]);
            in->secret_counts[k] = 0;
        }
}

static int cf_process(stage *s, doc_batch *batch, cd_err *e)
{
    cf_inst *in = s->priv;
    doc_batch out = {0};
    for (size_t i = 0; i < batch->len; i++) {
        doc *d = batch->docs[i];
        const char *repo = meta_str(d, "repo");
        if (in->repo && (!repo || strcmp(repo, in->repo))) finish_repo(s, &out);
        doc_batch_push(&in->pending, d);
        if (repo) {
            if (!in->repo) in->repo = xstrdup(repo);
        } else {
            finish_repo(s, &out);   /* stands alone */
        }
    }
    free(batch->docs);
    *batch = out;
    flush_counts(s);
    return 0;
}

static int cf_flush(stage *s, doc_batch *batch, cd_err *e)
{
    cf_inst *in = s->priv;
    if (in->pending.len) finish_repo(s, batch);
    flush_counts(s);
    return 0;
}

static const stage_ops codefilter_ops = {
    .name = "codefilter",
    .summary = "license enforcement (SPDX tags, headers, LICENSE files, manifests), StarCoder2 quality "
               "filters and secret redaction for source files",
    .params = CF_PARAMS,
    .init = cf_init,
    .fini = cf_fini,
    .open = cf_open,
    .process = cf_process,
    .flush = cf_flush,
    .close = cf_close,
};
CORPUSD_STAGE(codefilter_ops)
