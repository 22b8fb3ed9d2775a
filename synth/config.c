/*
 * config.c: reads a Nemotron-H config.json (core/json.h) into synth_config.
 * Nothing about a particular model is hard-coded: every width comes from the
 * file. Invariants after a successful parse: every size is positive, the
 * pattern has n_layer characters from "M*-", heads divide evenly (query heads
 * by KV heads, Mamba heads by groups, d_inner by groups), and the derived
 * sizes (d_inner = H*P, conv_dim, d_in_proj) are set.
 */
#include "synth/synth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/json.h"

static int get_int(const json_value *o, const char *k, int dflt, int required, int *out, const char *name, cd_err *e)
{
    json_value *v = json_object_get(o, k);
    if (!v || v->type == JSON_NULL) {
        if (required) return cd_fail(e, CD_ECONFIG, "%s: missing \"%s\"", name, k);
        *out = dflt;
        return 0;
    }
    if (v->type != JSON_NUMBER || v->u.number.value != floor(v->u.number.value) || v->u.number.value < -1 ||
        v->u.number.value > 1e9)
        return cd_fail(e, CD_ECONFIG, "%s: \"%s\" must be an integer", name, k);
    *out = (int)v->u.number.value;
    return 0;
}

/* Python's json module writes Infinity, -Infinity and NaN (published configs
 * carry "time_step_limit": [0.0, Infinity]); map them, outside strings, to
 * numbers strtod reads as +-inf and to null. */
static void python_json_to_json(const char *s, size_t n, sbuf *out)
{
    int in_str = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (in_str) {
            sbuf_putc(out, ch);
            if (ch == '\\' && i + 1 < n) sbuf_putc(out, s[++i]);
            else if (ch == '"') in_str = 0;
            continue;
        }
        if (ch == '"') in_str = 1;
        if (ch == 'I' && n - i >= 8 && !memcmp(s + i, "Infinity", 8)) {
            sbuf_puts(out, "1e999");
            i += 7;
        } else if (ch == 'N' && n - i >= 3 && !memcmp(s + i, "NaN", 3)) {
            sbuf_puts(out, "null");
            i += 2;
        } else sbuf_putc(out, ch);
    }
}

int synth_config_parse(synth_config *c, const char *json, size_t n, const char *name, cd_err *e)
{
    memset(c, 0, sizeof *c);
    arena a;
    arena_init(&a, 0);
    cd_err je;
    sbuf txt = SBUF_INIT;
    python_json_to_json(json, n, &txt);
    json_value *o = json_parse(&a, txt.data ? txt.data : "", txt.len, 16, &je);
    int rc = -1;
    if (!o || o->type != JSON_OBJECT) {
        cd_fail(e, CD_ECONFIG, "%s: %s", name, o ? "not a JSON object" : je.msg);
        goto out;
    }
    size_t plen = 0;
    const char *pat = json_str(json_object_get(o, "hybrid_override_pattern"), &plen);
    if (!pat || !plen) {
        cd_fail(e, CD_ECONFIG, "%s: missing \"hybrid_override_pattern\"", name);
        goto out;
    }
    for (size_t i = 0; i < plen; i++)
        if (pat[i] != 'M' && pat[i] != '*' && pat[i] != '-') {
            cd_fail(e, CD_ECONFIG, "%s: hybrid_override_pattern has '%c' at %zu (want M, * or -)", name, pat[i], i);
            goto out;
        }
    c->pattern = xstrndup(pat, plen);
    c->n_layer = (int)plen;
    int nl = c->n_layer;
    if (get_int(o, "num_hidden_layers", nl, 0, &nl, name, e)) goto out;
    if (nl != c->n_layer) {
        cd_fail(e, CD_ECONFIG, "%s: num_hidden_layers %d but the pattern has %d layers", name, nl, c->n_layer);
        goto out;
    }
    int has_attn = strchr(c->pattern, '*') != NULL, has_m = strchr(c->pattern, 'M') != NULL,
        has_mlp = strchr(c->pattern, '-') != NULL;
    if (get_int(o, "hidden_size", 0, 1, &c->hidden, name, e) || get_int(o, "vocab_size", 0, 1, &c->vocab, name, e) ||
        get_int(o, "num_attention_heads", 0, has_attn, &c->n_head, name, e) ||
        get_int(o, "num_key_value_heads", c->n_head, 0, &c->n_kv_head, name, e) ||
        get_int(o, "head_dim", c->n_head ? c->hidden / c->n_head : 0, 0, &c->head_dim, name, e) ||
        get_int(o, "intermediate_size", 0, has_mlp, &c->d_ff, name, e) ||
        get_int(o, "mamba_num_heads", 0, has_m, &c->m_heads, name, e) ||
        get_int(o, "mamba_head_dim", 0, has_m, &c->m_head_dim, name, e) ||
        get_int(o, "ssm_state_size", 0, has_m, &c->d_state, name, e) ||
        get_int(o, "n_groups", 1, 0, &c->n_groups, name, e) ||
        get_int(o, "conv_kernel", 4, 0, &c->d_conv, name, e) ||
        get_int(o, "chunk_size", 128, 0, &c->chunk, name, e) ||
        get_int(o, "max_position_embeddings", 4096, 0, &c->max_pos, name, e) ||
        get_int(o, "bos_token_id", 1, 0, &c->bos_id, name, e) ||
        get_int(o, "pad_token_id", 0, 0, &c->pad_id, name, e))
        goto out;
    json_value *cb = json_object_get(o, "use_conv_bias");
    c->conv_bias = !cb || cb->type != JSON_BOOL || cb->u.boolean;
    json_value *eps = json_object_get(o, "layer_norm_epsilon");
    if (!eps) eps = json_object_get(o, "rms_norm_eps");
    c->eps = json_num(eps, 1e-5);
    c->time_step_min = json_num(json_object_get(o, "time_step_min"), 0.001);
    c->dt_lo = 0.0;
    c->dt_hi = INFINITY;
    json_value *lim = json_object_get(o, "time_step_limit");
    if (lim && lim->type == JSON_ARRAY && lim->u.array.len == 2) {
        c->dt_lo = json_num(lim->u.array.items[0], 0.0);
        c->dt_hi = json_num(lim->u.array.items[1], INFINITY);
    }
    json_value *eos = json_object_get(o, "eos_token_id");
    if (eos && eos->type == JSON_NUMBER) c->eos_ids[c->n_eos++] = (int)eos->u.number.value;
    else if (eos && eos->type == JSON_ARRAY)
        for (size_t i = 0; i < eos->u.array.len && c->n_eos < SYNTH_MAX_STOP; i++)
            if (eos->u.array.items[i]->type == JSON_NUMBER) c->eos_ids[c->n_eos++] = (int)eos->u.array.items[i]->u.number.value;
    json_value *tie = json_object_get(o, "tie_word_embeddings");
    if (tie && tie->type == JSON_BOOL && tie->u.boolean) {
        cd_fail(e, CD_ECONFIG, "%s: tie_word_embeddings is true; Nemotron-H uses an untied lm_head", name);
        goto out;
    }
    if (c->hidden <= 0 || c->vocab <= 0) {
        cd_fail(e, CD_ECONFIG, "%s: hidden_size and vocab_size must be positive", name);
        goto out;
    }
    if (has_attn && (c->n_head <= 0 || c->n_kv_head <= 0 || c->head_dim <= 0 || c->n_head % c->n_kv_head)) {
        cd_fail(e, CD_ECONFIG, "%s: attention needs positive heads with num_attention_heads %% num_key_value_heads == 0", name);
        goto out;
    }
    if (has_mlp && c->d_ff <= 0) {
        cd_fail(e, CD_ECONFIG, "%s: intermediate_size must be positive", name);
        goto out;
    }
    if (has_m && (c->m_heads <= 0 || c->m_head_dim <= 0 || c->d_state <= 0 || c->n_groups <= 0 || c->d_conv <= 0 ||
                  c->chunk <= 0 || c->m_heads % c->n_groups)) {
        cd_fail(e, CD_ECONFIG, "%s: Mamba sizes must be positive with mamba_num_heads %% n_groups == 0", name);
        goto out;
    }
    if (!(c->eps > 0) || !(c->dt_hi >= c->dt_lo)) {
        cd_fail(e, CD_ECONFIG, "%s: bad layer_norm_epsilon or time_step_limit", name);
        goto out;
    }
    c->d_inner = c->m_heads * c->m_head_dim;
    c->conv_dim = c->d_inner + 2 * c->n_groups * c->d_state;
    c->d_in_proj = 2 * c->d_inner + 2 * c->n_groups * c->d_state + c->m_heads;
    rc = 0;
out:
    if (rc) {
        free(c->pattern);
        c->pattern = NULL;
    }
    arena_free(&a);
    sbuf_free(&txt);
    return rc;
}

int synth_config_load(synth_config *c, const char *path, cd_err *e)
{
    size_t n;
    char *s = cd_read_file(path, &n, e);
    if (!s) return -1;
    int rc = synth_config_parse(c, s, n, path, e);
    free(s);
    return rc;
}

void synth_config_free(synth_config *c)
{
    free(c->pattern);
    memset(c, 0, sizeof *c);
}

int synth_config_count(const synth_config *c, char type)
{
    int n = 0;
    for (int i = 0; i < c->n_layer; i++) n += c->pattern[i] == type;
    return n;
}

int64_t synth_config_params(const synth_config *c)
{
    int64_t D = c->hidden, p = 2 * (int64_t)c->vocab * D + D;
    int64_t mamba = D + (int64_t)c->d_in_proj * D + (int64_t)c->conv_dim * (c->d_conv + 1) + 3 * (int64_t)c->m_heads +
                    c->d_inner + (int64_t)c->d_inner * D;
    int64_t attn = D + (int64_t)(c->n_head + 2 * c->n_kv_head) * c->head_dim * D + (int64_t)c->n_head * c->head_dim * D;
    int64_t mlp = D + 2 * (int64_t)c->d_ff * D;
    p += synth_config_count(c, 'M') * mamba + synth_config_count(c, '*') * attn + synth_config_count(c, '-') * mlp;
    return p;
}
