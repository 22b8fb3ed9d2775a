/*
 * graph.c: the Nemotron-H model: loading a Hugging Face checkpoint directory
 * onto a backend, per-sequence caches, and the forward graph, written once
 * against the kernel table of synth/backend.h.
 *
 * Invariants: every tensor the config implies is present with the exact
 * shape and a float dtype, or loading fails naming it; the graph never reads
 * activation memory on the host (so it runs unchanged on CUDA); a sequence's
 * position only advances after a forward pass succeeds.
 */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/json.h"
#include "core/log.h"
#include "synth/backend.h"
#include "synth/synth.h"

typedef struct synth_layer {
    char type;
    float *norm;
    synth_wt in_proj, out_proj;                              /* M */
    float *conv_w, *conv_b, *dt_bias, *A_log, *D, *mnorm;
    synth_wt q, k, v, o;                                      /* * */
    synth_wt up, down;                                        /* - */
} synth_layer;

struct synth_model {
    synth_config c;
    const synth_backend *be;
    st_file *files;
    size_t nfiles;
    synth_wt emb, lm_head;
    float *norm_f;
    synth_layer *layers;
    size_t weight_bytes;
    int random;               /* weights drawn at random on the backend (bench-gen) */
    st_dtype random_dtype;
    uint64_t seed, drawn;
    /* scratch, grown on demand */
    int cap_rows;
    float *x, *h, *proj, *kb, *vb, *xbc, *y, *out, *logits;
    int cap_logit_rows;
    /* batched decode: per-step tables (ids, positions, state pointers), and
     * CUDA graphs of the decode step by batch size (see decode_step) */
    void *tab_dev;
    char *tab_host;
    size_t tab_cap;
    void **graphs;
    unsigned char *graph_seen;
    int graph_cap;
    int graphs_off;
    int state_bf16;           /* SSM state stored as bf16 (sequences created after the switch) */
    int graph_fails;
};

struct synth_seq {
    synth_model *m;
    int max_ctx, pos;
    int state_bf16;                  /* its SSM states are bf16 */
    float **conv, **ssm, **k, **v;   /* per layer; NULL where the layer has none */
};

/* ------------------------------------------------------------------ loading */

static const st_tensor *find_tensor(const synth_model *m, const char *name)
{
    for (size_t i = 0; i < m->nfiles; i++) {
        const st_tensor *t = st_find(&m->files[i], name);
        if (t) return t;
    }
    return NULL;
}

/* Finds a tensor under the `backbone.` or `model.` prefix (or none for
 * lm_head), checking shape (ndim dims; -1 = any) and dtype. */
static const st_tensor *get_tensor(const synth_model *m, const char *suffix, int prefixed, int ndim, const int64_t *shape,
                                   cd_err *e)
{
    static const char *const prefixes[] = {"backbone.", "model.", ""};
    char name[256];
    const st_tensor *t = NULL;
    for (int i = 0; i < 3 && !t; i++) {
        if (prefixed && i == 2) break;
        if (!prefixed && i < 2) continue;
        snprintf(name, sizeof name, "%s%s", prefixes[i], suffix);
        t = find_tensor(m, name);
    }
    if (!t) {
        cd_fail(e, CD_EINPUT, "missing tensor '%s%s'", prefixed ? "backbone." : "", suffix);
        return NULL;
    }
    if (t->dtype == ST_OTHER) {
        cd_fail(e, CD_EINPUT, "tensor '%s' has dtype %s (want F32, F16 or BF16)", t->name, t->dtype_name);
        return NULL;
    }
    int ok = t->ndim == ndim;
    for (int d = 0; ok && d < ndim; d++) ok = t->shape[d] == shape[d];
    if (!ok) {
        char want[128] = "", got[128] = "";
        size_t wl = 0, gl = 0;
        for (int d = 0; d < ndim; d++) wl += (size_t)snprintf(want + wl, sizeof want - wl, "%s%lld", d ? "," : "", (long long)shape[d]);
        for (int d = 0; d < t->ndim && gl < 100; d++)
            gl += (size_t)snprintf(got + gl, sizeof got - gl, "%s%lld", d ? "," : "", (long long)t->shape[d]);
        cd_fail(e, CD_EINPUT, "tensor '%s' has shape [%s], config implies [%s]", t->name, got, want);
        return NULL;
    }
    return t;
}

static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int load_matrix(synth_model *m, synth_wt *w, const char *suffix, int prefixed, int rows, int cols, cd_err *e)
{
    if (m->random) {
        /* N(0, 1/fan_in)-like scales; residual output projections shrunk by sqrt(2 n_layer). */
        float scale = strstr(suffix, "embedding") ? 1.0f : 1.0f / sqrtf((float)cols);
        if (strstr(suffix, "out_proj") || strstr(suffix, "o_proj") || strstr(suffix, "down_proj"))
            scale /= sqrtf(2.0f * m->c.n_layer);
        if (m->be->weight_random(w, rows, cols, scale, mix64(m->seed + ++m->drawn), m->random_dtype))
            return cd_fail(e, CD_EIO, "%s: out of %s memory", suffix, m->be->name);
        m->weight_bytes += (size_t)rows * cols * st_dtype_size(w->dtype);
        return 0;
    }
    int64_t shape[2] = {rows, cols};
    const st_tensor *t = get_tensor(m, suffix, prefixed, 2, shape, e);
    if (!t) return -1;
    /* The CPU reads aligned fp32 and bf16 tensors in place, from the mapping. */
    if (m->be == &synth_cpu_backend && ((t->dtype == ST_F32 && (uintptr_t)t->data % 16 == 0) ||
                                        (t->dtype == ST_BF16 && (uintptr_t)t->data % 2 == 0))) {
        w->dtype = t->dtype;
        w->rows = rows;
        w->cols = cols;
        w->data = (void *)t->data;
        m->weight_bytes += t->nbytes;
        return 0;
    }
    if (m->be->weight_upload(w, t->dtype, t->data, rows, cols))
        return cd_fail(e, CD_EIO, "tensor '%s': out of %s memory", t->name, m->be->name);
    m->weight_bytes += (size_t)rows * cols * st_dtype_size(w->dtype);
    return 0;
}

static int borrowed(const synth_model *m, const void *p)
{
    for (size_t i = 0; i < m->nfiles; i++) {
        const char *b = m->files[i].map;
        if (b && (const char *)p >= b && (const char *)p < b + m->files[i].map_size) return 1;
    }
    return 0;
}

static void free_matrix(synth_model *m, synth_wt *w)
{
    if (w->data && !borrowed(m, w->data)) m->be->weight_free(w);
    w->data = NULL;
}

/* Small parameter vectors are always converted to fp32 backend memory. */
static float *load_vector(synth_model *m, const char *suffix, int ndim, const int64_t *shape, cd_err *e)
{
    const st_tensor *t = m->random ? NULL : get_tensor(m, suffix, 1, ndim, shape, e);
    if (!t && !m->random) return NULL;
    size_t n = 1;
    for (int d = 0; d < ndim; d++) n *= (size_t)shape[d];
    float *host = xmalloc(n * sizeof *host);
    if (t) st_to_f32(t->dtype, t->data, n, host);
    else {
        /* the initialisation of synth/model_init.c, drawn here */
        uint64_t r = m->seed * 31 + ++m->drawn;
        for (size_t i = 0; i < n; i++) {
            double u = ((double)(mix64(r + i) >> 11) + 0.5) / 9007199254740992.0;
            if (strstr(suffix, "conv1d.weight")) host[i] = (float)((2 * u - 1) / sqrt((double)shape[ndim - 1]));
            else if (strstr(suffix, "conv1d.bias")) host[i] = (float)(0.1 * (2 * u - 1));
            else if (strstr(suffix, "dt_bias")) {
                double dt = exp(log(1e-3) + u * (log(0.1) - log(1e-3)));
                host[i] = (float)(dt + log(-expm1(-dt)));
            } else if (strstr(suffix, "A_log")) host[i] = (float)log(1 + 15 * u);
            else host[i] = 1.0f;   /* D and the norm weights */
        }
    }
    float *dev = m->be->alloc(n * 4);
    if (!dev) {
        free(host);
        cd_fail(e, CD_EIO, "tensor '%s': out of %s memory", suffix, m->be->name);
        return NULL;
    }
    m->be->upload(dev, host, n * 4);
    free(host);
    m->weight_bytes += n * 4;
    return dev;
}

static int open_files(synth_model *m, const char *dir, cd_err *e)
{
    char *idx = xasprintf("%s/model.safetensors.index.json", dir);
    size_t n;
    cd_err re;
    char *s = cd_read_file(idx, &n, &re);
    if (!s) {
        free(idx);
        char *p = xasprintf("%s/model.safetensors", dir);
        m->files = xcalloc(1, sizeof *m->files);
        int rc = st_open(&m->files[0], p, e);
        free(p);
        if (rc) return -1;
        m->nfiles = 1;
        return 0;
    }
    arena a;
    arena_init(&a, 0);
    json_value *v = json_parse(&a, s, n, 8, &re);
    json_value *wm = v ? json_object_get(v, "weight_map") : NULL;
    int rc = 0;
    if (!wm || wm->type != JSON_OBJECT) {
        rc = cd_fail(e, CD_EINPUT, "%s: no \"weight_map\" object%s%s", idx, v ? "" : ": ", v ? "" : re.msg);
        goto out;
    }
    m->files = xcalloc(wm->u.object.len + 1, sizeof *m->files);
    for (size_t i = 0; i < wm->u.object.len; i++) {
        size_t fl;
        const char *fn = json_str(wm->u.object.items[i].value, &fl);
        if (!fn || memchr(fn, '/', fl) || memchr(fn, '\0', fl) || (fl == 2 && !memcmp(fn, "..", 2))) {
            rc = cd_fail(e, CD_EINPUT, "%s: bad shard name for '%.*s'", idx, (int)wm->u.object.items[i].key_len,
                         wm->u.object.items[i].key);
            goto out;
        }
        char *path = xasprintf("%s/%.*s", dir, (int)fl, fn);
        int seen = 0;
        for (size_t j = 0; j < m->nfiles && !seen; j++) seen = !strcmp(m->files[j].path, path);
        if (!seen) {
            if (st_open(&m->files[m->nfiles], path, e)) {
                free(path);
                rc = -1;
                goto out;
            }
            m->nfiles++;
        }
        free(path);
    }
out:
    arena_free(&a);
    free(s);
    free(idx);
    return rc;
}

const synth_backend *synth_cuda_load(char *why, size_t why_len);

static int model_build(synth_model *m, const char *dir, synth_model **out, cd_err *e);

static synth_model *model_new(const char *cfg_text, size_t cfg_len, const char *cfg_path, const char *backend, cd_err *e)
{
    synth_model *m = xcalloc(1, sizeof *m);
    int rc = cfg_path ? synth_config_load(&m->c, cfg_path, e) : synth_config_parse(&m->c, cfg_text, cfg_len, "config", e);
    if (rc) {
        free(m);
        return NULL;
    }
    m->be = &synth_cpu_backend;
    if (!backend || strcmp(backend, "cpu")) {
        char why[256] = "";
        const synth_backend *cu = synth_cuda_load(why, sizeof why);
        if (cu) m->be = cu;
        else if (backend && !strcmp(backend, "cuda")) {
            cd_fail(e, CD_ECONFIG, "CUDA backend unavailable: %s", why);
            synth_config_free(&m->c);
            free(m);
            return NULL;
        } else log_info("synth: running on the CPU (%s)", why);
    }
    return m;
}

int synth_model_load(synth_model **out, const char *dir, const char *backend, cd_err *e)
{
    *out = NULL;
    char *cfg = xasprintf("%s/config.json", dir);
    synth_model *m = model_new(NULL, 0, cfg, backend, e);
    free(cfg);
    if (!m) return -1;
    return model_build(m, dir, out, e);
}

int synth_model_random(synth_model **out, const char *config_json, size_t len, uint64_t seed, int bf16,
                       const char *backend, cd_err *e)
{
    *out = NULL;
    synth_model *m = model_new(config_json, len, NULL, backend, e);
    if (!m) return -1;
    m->random = 1;
    m->random_dtype = bf16 ? ST_BF16 : ST_F32;
    m->seed = seed;
    return model_build(m, NULL, out, e);
}

static int model_build(synth_model *m, const char *dir, synth_model **out, cd_err *e)
{
    if (!m->random && open_files(m, dir, e)) goto fail;
    const synth_config *c = &m->c;
    int64_t D = c->hidden;
    m->layers = xcalloc((size_t)c->n_layer, sizeof *m->layers);
    int64_t sh[3];
    const char *emb_name = m->random ? "embeddings.weight" : find_tensor(m, "backbone.embeddings.weight") || find_tensor(m, "model.embeddings.weight")
                               ? "embeddings.weight"
                           : find_tensor(m, "backbone.embedding.weight") || find_tensor(m, "model.embedding.weight")
                               ? "embedding.weight"
                               : "embeddings.weight";
    if (load_matrix(m, &m->emb, emb_name, 1, c->vocab, c->hidden, e)) goto fail;
    if (load_matrix(m, &m->lm_head, "lm_head.weight", 0, c->vocab, c->hidden, e)) goto fail;
    sh[0] = D;
    if (!(m->norm_f = load_vector(m, "norm_f.weight", 1, sh, e))) goto fail;
    for (int l = 0; l < c->n_layer; l++) {
        synth_layer *L = &m->layers[l];
        L->type = c->pattern[l];
        char nm[160];
#define NM(sfx) (snprintf(nm, sizeof nm, "layers.%d.%s", l, sfx), nm)
        sh[0] = D;
        if (!(L->norm = load_vector(m, NM("norm.weight"), 1, sh, e))) goto fail;
        if (L->type == 'M') {
            int H = c->m_heads;
            if (load_matrix(m, &L->in_proj, NM("mixer.in_proj.weight"), 1, c->d_in_proj, c->hidden, e) ||
                load_matrix(m, &L->out_proj, NM("mixer.out_proj.weight"), 1, c->hidden, c->d_inner, e))
                goto fail;
            sh[0] = c->conv_dim; sh[1] = 1; sh[2] = c->d_conv;
            if (!(L->conv_w = load_vector(m, NM("mixer.conv1d.weight"), 3, sh, e))) goto fail;
            if (c->conv_bias && !(L->conv_b = load_vector(m, NM("mixer.conv1d.bias"), 1, sh, e))) goto fail;
            sh[0] = H;
            if (!(L->dt_bias = load_vector(m, NM("mixer.dt_bias"), 1, sh, e)) ||
                !(L->A_log = load_vector(m, NM("mixer.A_log"), 1, sh, e)) ||
                !(L->D = load_vector(m, NM("mixer.D"), 1, sh, e)))
                goto fail;
            sh[0] = c->d_inner;
            if (!(L->mnorm = load_vector(m, NM("mixer.norm.weight"), 1, sh, e))) goto fail;
        } else if (L->type == '*') {
            int qd = c->n_head * c->head_dim, kd = c->n_kv_head * c->head_dim;
            if (load_matrix(m, &L->q, NM("mixer.q_proj.weight"), 1, qd, c->hidden, e) ||
                load_matrix(m, &L->k, NM("mixer.k_proj.weight"), 1, kd, c->hidden, e) ||
                load_matrix(m, &L->v, NM("mixer.v_proj.weight"), 1, kd, c->hidden, e) ||
                load_matrix(m, &L->o, NM("mixer.o_proj.weight"), 1, c->hidden, qd, e))
                goto fail;
        } else {
            if (load_matrix(m, &L->up, NM("mixer.up_proj.weight"), 1, c->d_ff, c->hidden, e) ||
                load_matrix(m, &L->down, NM("mixer.down_proj.weight"), 1, c->hidden, c->d_ff, e))
                goto fail;
        }
#undef NM
    }
    *out = m;
    return 0;
fail:
    synth_model_free(m);
    return -1;
}

static void drop_graphs(synth_model *m)
{
    for (int i = 0; i < m->graph_cap; i++) {
        if (m->graphs[i]) m->be->graph_free(m->graphs[i]);
        m->graphs[i] = NULL;
    }
}

void synth_model_set_bf16_state(synth_model *m, int on) { m->state_bf16 = !!on; }

void synth_model_use_graphs(synth_model *m, int on)
{
    m->graphs_off = !on;
    if (!on) drop_graphs(m);
}

void synth_model_free(synth_model *m)
{
    if (!m) return;
    const synth_backend *be = m->be;
    drop_graphs(m);
    free(m->graphs);
    free(m->graph_seen);
    if (m->tab_dev) be->free(m->tab_dev);
    free(m->tab_host);
    if (m->layers) {
        for (int l = 0; l < m->c.n_layer; l++) {
            synth_layer *L = &m->layers[l];
            synth_wt *ws[] = {&L->in_proj, &L->out_proj, &L->q, &L->k, &L->v, &L->o, &L->up, &L->down};
            for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++) free_matrix(m, ws[i]);
            float *vs[] = {L->norm, L->conv_w, L->conv_b, L->dt_bias, L->A_log, L->D, L->mnorm};
            for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++)
                if (vs[i]) be->free(vs[i]);
        }
        free(m->layers);
    }
    free_matrix(m, &m->emb);
    free_matrix(m, &m->lm_head);
    if (m->norm_f) be->free(m->norm_f);
    float *sc[] = {m->x, m->h, m->proj, m->kb, m->vb, m->xbc, m->y, m->out, m->logits};
    for (size_t i = 0; i < sizeof sc / sizeof sc[0]; i++)
        if (sc[i]) be->free(sc[i]);
    for (size_t i = 0; i < m->nfiles; i++) st_close(&m->files[i]);
    free(m->files);
    synth_config_free(&m->c);
    free(m);
}

const synth_config *synth_model_config(const synth_model *m) { return &m->c; }
const char *synth_model_backend(const synth_model *m) { return m->be->name; }
const synth_backend *synth_model_backend_ops(const synth_model *m) { return m->be; }
size_t synth_model_weight_bytes(const synth_model *m) { return m->weight_bytes; }
int synth_model_weight_elem_bytes(const synth_model *m) { return (int)st_dtype_size(m->emb.dtype); }

/* ---------------------------------------------------------------- sequences */

synth_seq *synth_seq_new(synth_model *m, int max_ctx)
{
    const synth_config *c = &m->c;
    synth_seq *s = xcalloc(1, sizeof *s);
    s->m = m;
    s->max_ctx = max_ctx > 0 ? max_ctx : c->max_pos;
    s->state_bf16 = m->state_bf16;
    size_t nl = (size_t)c->n_layer;
    s->conv = xcalloc(nl, sizeof *s->conv);
    s->ssm = xcalloc(nl, sizeof *s->ssm);
    s->k = xcalloc(nl, sizeof *s->k);
    s->v = xcalloc(nl, sizeof *s->v);
    for (int l = 0; l < c->n_layer; l++) {
        int fail = 0;
        if (c->pattern[l] == 'M') {
            s->conv[l] = m->be->alloc((size_t)(c->d_conv - 1) * c->conv_dim * 4 + 4);
            s->ssm[l] = m->be->alloc((size_t)c->m_heads * c->m_head_dim * c->d_state * (s->state_bf16 ? 2 : 4));
            fail = !s->conv[l] || !s->ssm[l];
        } else if (c->pattern[l] == '*') {
            size_t kv = (size_t)s->max_ctx * c->n_kv_head * c->head_dim * 4;
            s->k[l] = m->be->alloc(kv);
            s->v[l] = m->be->alloc(kv);
            fail = !s->k[l] || !s->v[l];
        }
        if (fail) {
            synth_seq_free(s);
            return NULL;
        }
    }
    return s;
}

void synth_seq_reset(synth_seq *s)
{
    const synth_config *c = &s->m->c;
    for (int l = 0; l < c->n_layer; l++)
        if (c->pattern[l] == 'M') {
            s->m->be->memzero(s->conv[l], (size_t)(c->d_conv - 1) * c->conv_dim * 4);
            s->m->be->memzero(s->ssm[l], (size_t)c->m_heads * c->m_head_dim * c->d_state * (s->state_bf16 ? 2 : 4));
        }
    s->pos = 0;   /* KV entries past pos are never read */
}

void synth_seq_free(synth_seq *s)
{
    if (!s) return;
    for (int l = 0; l < s->m->c.n_layer; l++) {
        float *p[] = {s->conv[l], s->ssm[l], s->k[l], s->v[l]};
        for (int i = 0; i < 4; i++)
            if (p[i]) s->m->be->free(p[i]);
    }
    free(s->conv);
    free(s->ssm);
    free(s->k);
    free(s->v);
    free(s);
}

int synth_seq_pos(const synth_seq *s) { return s->pos; }

int synth_seq_copy(synth_seq *dst, const synth_seq *src, cd_err *e)
{
    if (dst->m != src->m || dst->state_bf16 != src->state_bf16)
        return cd_fail(e, CD_EINTERNAL, "sequence copy across models or state dtypes");
    if (src->pos > dst->max_ctx)
        return cd_fail(e, CD_EINPUT, "sequence copy: %d positions do not fit a context of %d", src->pos, dst->max_ctx);
    const synth_config *c = &src->m->c;
    const synth_backend *be = src->m->be;
    size_t kv = (size_t)src->pos * c->n_kv_head * c->head_dim * 4;
    for (int l = 0; l < c->n_layer; l++) {
        if (c->pattern[l] == 'M') {
            be->copy(dst->conv[l], src->conv[l], (size_t)(c->d_conv - 1) * c->conv_dim * 4);
            be->copy(dst->ssm[l], src->ssm[l], (size_t)c->m_heads * c->m_head_dim * c->d_state * (src->state_bf16 ? 2 : 4));
        } else if (c->pattern[l] == '*') {
            be->copy(dst->k[l], src->k[l], kv);
            be->copy(dst->v[l], src->v[l], kv);
        }
    }
    dst->pos = src->pos;
    return 0;
}

/* ------------------------------------------------------------------ forward */

static int ensure_scratch(synth_model *m, int rows, int logit_rows, cd_err *e)
{
    const synth_config *c = &m->c;
    const synth_backend *be = m->be;
    if (rows > m->cap_rows || logit_rows > m->cap_logit_rows) drop_graphs(m);   /* they point at the old buffers */
    if (rows > m->cap_rows) {
        int cap = rows < 16 ? 16 : rows;
        size_t R = (size_t)cap;
        int qd = c->n_head * c->head_dim, kd = c->n_kv_head * c->head_dim;
        int pw = c->d_in_proj;
        if (c->d_ff > pw) pw = c->d_ff;
        if (qd > pw) pw = qd;
        int yw = c->d_inner > qd ? c->d_inner : qd;
        float **bufs[] = {&m->x, &m->h, &m->proj, &m->kb, &m->vb, &m->xbc, &m->y, &m->out};
        size_t widths[] = {(size_t)c->hidden, (size_t)c->hidden, (size_t)pw, (size_t)kd, (size_t)kd, (size_t)c->conv_dim,
                           (size_t)yw, (size_t)c->hidden};
        for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) {
            if (*bufs[i]) be->free(*bufs[i]);
            *bufs[i] = be->alloc(R * (widths[i] ? widths[i] : 1) * 4);
            if (!*bufs[i]) {
                m->cap_rows = 0;
                return cd_fail(e, CD_EIO, "out of %s memory for %d rows of activations", be->name, rows);
            }
        }
        m->cap_rows = cap;
    }
    if (logit_rows > m->cap_logit_rows) {
        if (m->logits) be->free(m->logits);
        m->logits = be->alloc((size_t)logit_rows * c->vocab * 4);
        if (!m->logits) {
            m->cap_logit_rows = 0;
            return cd_fail(e, CD_EIO, "out of %s memory for logits", be->name);
        }
        m->cap_logit_rows = logit_rows;
    }
    return 0;
}

/* The decode tables of one step for n sequences, in backend memory:
 * ids [n] int32, positions [n] int32, then per layer in order: Mamba layers
 * conv states [n] and SSM states [n], attention layers K caches [n] and V
 * caches [n] (pointers). Offsets depend on n only, so a graph captured for n
 * sequences stays valid when other sequences (other pointers) take part. */
static size_t tab_ptr_off(int n) { return ((size_t)n * 8 + 15) & ~(size_t)15; }

static size_t tab_size(const synth_config *c, int n)
{
    return tab_ptr_off(n) + (size_t)2 * (synth_config_count(c, 'M') + synth_config_count(c, '*')) * n * sizeof(void *);
}

/* The launches of one decode step over the tables at tab (backend memory):
 * every activation row is one sequence. */
static void decode_launches(synth_model *m, int n, char *tab)
{
    const synth_config *c = &m->c;
    const synth_backend *be = m->be;
    int D = c->hidden;
    float eps = (float)c->eps;
    const int32_t *ids = (const int32_t *)tab, *pos = ids + n;
    float *const *ptr = (float *const *)(tab + tab_ptr_off(n));
    be->embed_dev(&m->emb, ids, n, m->x);
    for (int l = 0; l < c->n_layer; l++) {
        synth_layer *L = &m->layers[l];
        be->rmsnorm(m->x, L->norm, n, D, eps, m->h);
        if (L->type == 'M') {
            float *const *conv = ptr, *const *ssm = ptr + n;
            ptr += 2 * n;
            be->matmul(&L->in_proj, m->h, n, m->proj);
            be->copy_cols(m->xbc, c->conv_dim, m->proj + c->d_inner, c->d_in_proj, n, c->conv_dim);
            be->conv1d_batch(m->xbc, n, c->conv_dim, c->d_conv, conv, L->conv_w, L->conv_b);
            synth_ssm_args a = {
                .T = n, .H = c->m_heads, .P = c->m_head_dim, .N = c->d_state, .G = c->n_groups, .chunk = c->chunk,
                .xbc = m->xbc, .ldx = c->conv_dim, .dt = m->proj + c->d_inner + c->conv_dim, .lddt = c->d_in_proj,
                .dt_bias = L->dt_bias, .A_log = L->A_log, .D = L->D, .dt_lo = (float)c->dt_lo, .dt_hi = (float)c->dt_hi,
                .state = NULL, .state_bf16 = m->state_bf16, .y = m->y,
            };
            be->ssm_step_batch(&a, ssm);
            be->gated_norm(m->y, m->proj, c->d_in_proj, L->mnorm, n, c->d_inner, c->d_inner / c->n_groups, eps);
            be->matmul(&L->out_proj, m->y, n, m->out);
        } else if (L->type == '*') {
            float *const *kc = ptr, *const *vc = ptr + n;
            ptr += 2 * n;
            be->matmul(&L->q, m->h, n, m->proj);
            be->matmul(&L->k, m->h, n, m->kb);
            be->matmul(&L->v, m->h, n, m->vb);
            synth_attn_args a = {.T = n, .pos0 = 0, .n_head = c->n_head, .n_kv = c->n_kv_head, .head_dim = c->head_dim,
                                 .q = m->proj, .k = NULL, .v = NULL, .out = m->y};
            be->attention_decode(&a, m->kb, m->vb, kc, vc, pos);
            be->matmul(&L->o, m->y, n, m->out);
        } else {
            be->matmul(&L->up, m->h, n, m->proj);
            be->relu2(m->proj, (size_t)n * c->d_ff);
            be->matmul(&L->down, m->proj, n, m->out);
        }
        be->add(m->x, m->out, (size_t)n * D);
    }
    be->rmsnorm(m->x, m->norm_f, n, D, eps, m->h);
    be->matmul(&m->lm_head, m->h, n, m->logits);
}

/* One decode step of n sequences: the tables go up in one copy; the
 * launches run directly, or, where the backend captures graphs, from the
 * graph captured for n sequences (captured the second time n is seen, after
 * a direct run has sized every scratch buffer of the backend). */
static int decode_step(synth_model *m, synth_seq **seqs, int n, const int32_t *tokens, cd_err *e)
{
    const synth_config *c = &m->c;
    const synth_backend *be = m->be;
    size_t bytes = tab_size(c, n);
    if (bytes > m->tab_cap) {
        drop_graphs(m);
        if (m->tab_dev) be->free(m->tab_dev);
        size_t cap = bytes * 2;
        m->tab_dev = be->alloc(cap);
        m->tab_host = xrealloc(m->tab_host, cap);
        m->tab_cap = m->tab_dev ? cap : 0;
        if (!m->tab_dev) return cd_fail(e, CD_EIO, "out of %s memory for the decode tables", be->name);
    }
    int32_t *ids = (int32_t *)m->tab_host, *pos = ids + n;
    void **ptr = (void **)(m->tab_host + tab_ptr_off(n));
    for (int i = 0; i < n; i++) {
        ids[i] = tokens[i];
        pos[i] = seqs[i]->pos;
    }
    for (int l = 0; l < c->n_layer; l++) {
        if (c->pattern[l] != 'M' && c->pattern[l] != '*') continue;
        for (int i = 0; i < n; i++) {
            ptr[i] = c->pattern[l] == 'M' ? (void *)seqs[i]->conv[l] : (void *)seqs[i]->k[l];
            ptr[n + i] = c->pattern[l] == 'M' ? (void *)seqs[i]->ssm[l] : (void *)seqs[i]->v[l];
        }
        ptr += 2 * n;
    }
    be->upload(m->tab_dev, m->tab_host, bytes);
    char *tab = m->tab_dev;
    if (!be->capture_begin || m->graphs_off) {
        decode_launches(m, n, tab);
        return 0;
    }
    if (n >= m->graph_cap) {
        int cap = n + 16;
        m->graphs = xrealloc(m->graphs, (size_t)cap * sizeof *m->graphs);
        m->graph_seen = xrealloc(m->graph_seen, (size_t)cap);
        memset(m->graphs + m->graph_cap, 0, (size_t)(cap - m->graph_cap) * sizeof *m->graphs);
        memset(m->graph_seen + m->graph_cap, 0, (size_t)(cap - m->graph_cap));
        m->graph_cap = cap;
    }
    if (!m->graphs[n] && m->graph_seen[n]) {
        if (be->capture_begin() == 0) {
            decode_launches(m, n, tab);   /* recorded, not run */
            m->graphs[n] = be->capture_end();
        }
        if (!m->graphs[n] && ++m->graph_fails >= 3) {
            log_warn("synth: CUDA graph capture of the decode step failed 3 times; running without graphs");
            m->graphs_off = 1;
        }
        if (!m->graphs[n]) {   /* e.g. scratch had to grow: run directly now, capture again next time */
            m->graph_seen[n] = 0;
            decode_launches(m, n, tab);
            return 0;
        }
    }
    m->graph_seen[n] = 1;
    if (m->graphs[n]) {
        int rc = be->graph_launch(m->graphs[n]);
        if (rc == 0) return 0;
        be->graph_free(m->graphs[n]);   /* stale (backend scratch moved) or failed: recapture next time */
        m->graphs[n] = NULL;
        if (rc < 0) m->graphs_off = 1;
    }
    decode_launches(m, n, tab);
    return 0;
}

int synth_forward(synth_model *m, synth_seq **seqs, int nseq, const int32_t *tokens, const int *ntok, int all_logits,
                  float *logits, cd_err *e)
{
    const synth_config *c = &m->c;
    const synth_backend *be = m->be;
    int T = 0;
    for (int i = 0; i < nseq; i++) {
        if (ntok[i] < 1) return cd_fail(e, CD_EINPUT, "sequence %d: no tokens to feed", i);
        if (seqs[i]->m != m) return cd_fail(e, CD_EINTERNAL, "sequence %d belongs to another model", i);
        if (seqs[i]->state_bf16 != m->state_bf16)
            return cd_fail(e, CD_EINTERNAL, "sequence %d was created with another SSM state dtype", i);
        if (seqs[i]->pos + ntok[i] > seqs[i]->max_ctx)
            return cd_fail(e, CD_EINPUT, "sequence %d: %d + %d tokens exceed its context of %d", i, seqs[i]->pos, ntok[i],
                           seqs[i]->max_ctx);
        T += ntok[i];
    }
    for (int t = 0; t < T; t++)
        if (tokens[t] < 0 || tokens[t] >= c->vocab)
            return cd_fail(e, CD_EINPUT, "token %d (id %d) is outside the vocabulary of %d", t, tokens[t], c->vocab);
    int lrows = all_logits ? T : nseq;
    if (ensure_scratch(m, T, lrows, e)) return -1;
    if (T == nseq && be->conv1d_batch && be->ssm_step_batch && be->attention_decode && be->embed_dev) {
        /* every sequence takes one token: the batched decode step */
        if (decode_step(m, seqs, nseq, tokens, e)) return -1;
        if (logits) be->download(logits, m->logits, (size_t)nseq * c->vocab * 4);
        for (int i = 0; i < nseq; i++) seqs[i]->pos++;
        return 0;
    }
    int D = c->hidden, qd = c->n_head * c->head_dim, kd = c->n_kv_head * c->head_dim;
    float eps = (float)c->eps;
    be->embed(&m->emb, tokens, T, m->x);
    for (int l = 0; l < c->n_layer; l++) {
        synth_layer *L = &m->layers[l];
        be->rmsnorm(m->x, L->norm, T, D, eps, m->h);
        if (L->type == 'M') {
            be->matmul(&L->in_proj, m->h, T, m->proj);
            be->copy_cols(m->xbc, c->conv_dim, m->proj + c->d_inner, c->d_in_proj, T, c->conv_dim);
            int off = 0;
            for (int i = 0; i < nseq; i++) {
                int n = ntok[i];
                be->conv1d(m->xbc + (size_t)off * c->conv_dim, n, c->conv_dim, c->d_conv, seqs[i]->conv[l], L->conv_w,
                           L->conv_b);
                synth_ssm_args a = {
                    .T = n, .H = c->m_heads, .P = c->m_head_dim, .N = c->d_state, .G = c->n_groups, .chunk = c->chunk,
                    .xbc = m->xbc + (size_t)off * c->conv_dim, .ldx = c->conv_dim,
                    .dt = m->proj + (size_t)off * c->d_in_proj + c->d_inner + c->conv_dim, .lddt = c->d_in_proj,
                    .dt_bias = L->dt_bias, .A_log = L->A_log, .D = L->D,
                    .dt_lo = (float)c->dt_lo, .dt_hi = (float)c->dt_hi,
                    .state = seqs[i]->ssm[l], .state_bf16 = seqs[i]->state_bf16, .y = m->y + (size_t)off * c->d_inner,
                };
                if (n == 1) be->ssm_step(&a);
                else be->ssm_scan(&a);
                off += n;
            }
            be->gated_norm(m->y, m->proj, c->d_in_proj, L->mnorm, T, c->d_inner, c->d_inner / c->n_groups, eps);
            be->matmul(&L->out_proj, m->y, T, m->out);
        } else if (L->type == '*') {
            be->matmul(&L->q, m->h, T, m->proj);
            be->matmul(&L->k, m->h, T, m->kb);
            be->matmul(&L->v, m->h, T, m->vb);
            int off = 0;
            for (int i = 0; i < nseq; i++) {
                int n = ntok[i], p0 = seqs[i]->pos;
                be->copy(seqs[i]->k[l] + (size_t)p0 * kd, m->kb + (size_t)off * kd, (size_t)n * kd * 4);
                be->copy(seqs[i]->v[l] + (size_t)p0 * kd, m->vb + (size_t)off * kd, (size_t)n * kd * 4);
                synth_attn_args a = {
                    .T = n, .pos0 = p0, .n_head = c->n_head, .n_kv = c->n_kv_head, .head_dim = c->head_dim,
                    .q = m->proj + (size_t)off * qd, .k = seqs[i]->k[l], .v = seqs[i]->v[l],
                    .out = m->y + (size_t)off * qd,
                };
                be->attention(&a);
                off += n;
            }
            be->matmul(&L->o, m->y, T, m->out);
        } else {
            be->matmul(&L->up, m->h, T, m->proj);
            be->relu2(m->proj, (size_t)T * c->d_ff);
            be->matmul(&L->down, m->proj, T, m->out);
        }
        be->add(m->x, m->out, (size_t)T * D);
    }
    be->rmsnorm(m->x, m->norm_f, T, D, eps, m->h);
    const float *rows = m->h;
    if (!all_logits) {
        int off = 0;
        for (int i = 0; i < nseq; i++) {
            off += ntok[i];
            be->copy(m->out + (size_t)i * D, m->h + (size_t)(off - 1) * D, (size_t)D * 4);
        }
        rows = m->out;
    }
    be->matmul(&m->lm_head, rows, lrows, m->logits);
    if (logits) be->download(logits, m->logits, (size_t)lrows * c->vocab * 4);
    for (int i = 0; i < nseq; i++) seqs[i]->pos += ntok[i];
    return 0;
}

int synth_sample_rows(synth_model *m, const synth_sample_row *rows, int n, int32_t *out, cd_err *e)
{
    for (int i = 0; i < n; i++)
        if (rows[i].row < 0 || rows[i].row >= m->cap_logit_rows)
            return cd_fail(e, CD_EINTERNAL, "sample row %d: no such logits row", rows[i].row);
    if (m->be->sample(m->logits, m->c.vocab, rows, n, out))
        return cd_fail(e, CD_EIO, "sampling on the %s backend failed", m->be->name);
    return 0;
}
