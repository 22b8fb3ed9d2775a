/*
 * model_init.c: `corpusd model-init`: a random Nemotron-H model in exactly
 * the layout of NVIDIA's published checkpoints (config.json,
 * model.safetensors with `backbone.` names and an untied lm_head), plus a
 * small byte-level BPE tokenizer (tokenizer.json in the Hugging Face format,
 * merges learned on a built-in paragraph) and tokenizer_config.json with a
 * chat template, so a tiny model runs end to end from text.
 *
 * Initialisation follows the scales of transformers' NemotronH init where
 * they keep activations sane: dt_bias is the inverse softplus of a dt drawn
 * log-uniformly in [time_step_min, time_step_max], A_log = log U(1, 16),
 * D = 1; linear layers are N(0, 1/fan_in) with the output projections scaled
 * down by sqrt(2 * n_layer). Everything is a pure function of the seed.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "synth/safetensors.h"
#include "synth/synth.h"

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rng_next(rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static double rng_uniform(rng *r) { return ((double)(rng_next(r) >> 11) + 0.5) / 9007199254740992.0; }
static double rng_normal(rng *r)
{
    double u = rng_uniform(r), v = rng_uniform(r);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

typedef struct tensors {
    st_writer w;
    void **bufs;
    size_t n, cap;
    int bf16;
} tensors;

/* Adds a tensor filled by kind: 0 normal(std), 1 const(v), 2 uniform(-a, a). */
static float *add_tensor(tensors *t, rng *r, const char *name, int ndim, const int64_t *shape, int kind, double p)
{
    size_t n = 1;
    for (int i = 0; i < ndim; i++) n *= (size_t)shape[i];
    float *f = xmalloc(n * sizeof *f);
    for (size_t i = 0; i < n; i++)
        f[i] = (float)(kind == 0 ? p * rng_normal(r) : kind == 1 ? p : p * (2 * rng_uniform(r) - 1));
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->bufs = xrealloc(t->bufs, t->cap * sizeof *t->bufs);
    }
    t->bufs[t->n++] = f;
    st_writer_add(&t->w, name, ST_F32, ndim, shape, f);
    return f;
}

/* ----------------------------------------------------------- tokenizer.json */

static const char k_text[] =
    "The quick brown fox jumps over the lazy dog. A document is a sequence of words, and a corpus is a set of "
    "documents that were crawled, extracted, filtered and deduplicated before a model is trained on them. "
    "The model reads the text one token at a time; each token is a piece of a word, a whole word, a number or "
    "a mark of punctuation. Mamba layers carry a state of fixed size from one token to the next, while the "
    "attention layers look back at every token that came before. To rewrite the documents of the web in a "
    "cleaner form, the engine generates new text from a prompt, then the pipeline keeps what passes its "
    "filters. Numbers such as 2024, 100 and 3.14 appear in the text, and so do questions: what is the state "
    "of the model, and where does the information go? The answer is in the weights and in the state. "
    "It is the same for every language: the tokenizer splits the bytes, and the merges put them together "
    "again into the tokens that occur the most often in the text that was used to learn them.";

/* GPT-2's byte-to-unicode table: printable bytes map to themselves, the rest
 * to U+0100 onward, so every byte has a visible character. */
static void byte_char(int b, sbuf *out)
{
    if ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255)) {
        utf8_put(out, (uint32_t)b);
        return;
    }
    int n = 0;
    for (int i = 0; i < b; i++)
        if (!((i >= 33 && i <= 126) || (i >= 161 && i <= 172) || (i >= 174 && i <= 255))) n++;
    utf8_put(out, (uint32_t)(256 + n));
}

#define N_SPECIAL 16
static const char *const k_special[N_SPECIAL] = {
    "<unk>", "<s>", "</s>", "<SPECIAL_3>", "<SPECIAL_4>", "<SPECIAL_5>", "<SPECIAL_6>", "<SPECIAL_7>",
    "<SPECIAL_8>", "<SPECIAL_9>", "<SPECIAL_10>", "<SPECIAL_11>", "<SPECIAL_12>", "<think>", "</think>", "<pad>",
};

/* Learns up to n_merges BPE merges over the words of k_text (a word is an
 * optional leading space and a run of letters, digits or other bytes) and
 * writes tokenizer.json. Token ids: specials, then the 256 bytes, then merges. */
static char *make_tokenizer_json(int vocab, size_t *len)
{
    int n_merges = vocab - N_SPECIAL - 256;
    if (n_merges < 0) n_merges = 0;
    if (n_merges > 512) n_merges = 512;   /* the built-in text has no more frequent pairs */
    /* words as arrays of token ids */
    size_t tn = strlen(k_text);
    int *seq = xmalloc((tn + 1) * sizeof *seq * 2);
    int *wstart = xmalloc((tn + 2) * sizeof *wstart);
    size_t nw = 0, ns = 0;
    for (size_t i = 0; i < tn;) {
        wstart[nw++] = (int)ns;
        size_t j = i;
        if (k_text[j] == ' ') j++;
        int cls = j < tn ? (((k_text[j] | 32) >= 'a' && (k_text[j] | 32) <= 'z') ? 0 : (k_text[j] >= '0' && k_text[j] <= '9') ? 1 : 2) : 2;
        if (j < tn) j++;
        while (j < tn && k_text[j] != ' ') {
            int c2 = ((k_text[j] | 32) >= 'a' && (k_text[j] | 32) <= 'z') ? 0 : (k_text[j] >= '0' && k_text[j] <= '9') ? 1 : 2;
            if (c2 != cls) break;
            j++;
        }
        for (size_t k = i; k < j; k++) seq[ns++] = N_SPECIAL + (unsigned char)k_text[k];
        i = j;
    }
    wstart[nw] = (int)ns;
    int total = N_SPECIAL + 256 + n_merges;
    sbuf *str = xcalloc((size_t)total, sizeof *str);
    for (int b = 0; b < 256; b++) byte_char(b, &str[N_SPECIAL + b]);
    int (*merges)[2] = xmalloc(((size_t)n_merges + 1) * sizeof *merges);
    int done = 0;
    int *cnt = xcalloc((size_t)total * total, sizeof *cnt);
    for (; done < n_merges; done++) {
        int cur = N_SPECIAL + 256 + done;
        memset(cnt, 0, (size_t)cur * total * sizeof *cnt);
        for (size_t w = 0; w < nw; w++)
            for (int k = wstart[w]; k + 1 < wstart[w + 1]; k++) cnt[(size_t)seq[k] * total + seq[k + 1]]++;
        int best = 0, ba = -1, bb = -1;
        for (int a = 0; a < cur; a++)
            for (int b = 0; b < cur; b++)
                if (cnt[(size_t)a * total + b] > best) {
                    best = cnt[(size_t)a * total + b];
                    ba = a;
                    bb = b;
                }
        if (best < 2) break;
        merges[done][0] = ba;
        merges[done][1] = bb;
        sbuf_append(&str[cur], str[ba].data, str[ba].len);
        sbuf_append(&str[cur], str[bb].data, str[bb].len);
        /* apply the merge in every word (left to right, as BPE does) */
        for (size_t w = 0; w < nw; w++) {
            int o = wstart[w];
            for (int k = wstart[w]; k < wstart[w + 1]; k++) {
                if (k + 1 < wstart[w + 1] && seq[k] == ba && seq[k + 1] == bb) {
                    seq[o++] = cur;
                    k++;
                } else seq[o++] = seq[k];
            }
            /* pad the shortened word with nothing: shift later words */
            int shrink = wstart[w + 1] - o;
            if (shrink) {
                memmove(seq + o, seq + wstart[w + 1], (ns - (size_t)wstart[w + 1]) * sizeof *seq);
                ns -= (size_t)shrink;
                for (size_t v = w + 1; v <= nw; v++) wstart[v] -= shrink;
            }
        }
    }
    free(cnt);
    sbuf out = SBUF_INIT;
    sbuf_puts(&out, "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [\n");
    for (int i = 0; i < N_SPECIAL; i++)
        sbuf_printf(&out,
                    "    {\"id\": %d, \"content\": \"%s\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, "
                    "\"normalized\": false, \"special\": true}%s\n",
                    i, k_special[i], i + 1 < N_SPECIAL ? "," : "");
    sbuf_puts(&out, "  ],\n  \"normalizer\": null,\n"
                    "  \"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, "
                    "\"use_regex\": true},\n"
                    "  \"post_processor\": null,\n"
                    "  \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": true, "
                    "\"use_regex\": true},\n"
                    "  \"model\": {\"type\": \"BPE\", \"dropout\": null, \"unk_token\": null, \"continuing_subword_prefix\": null, "
                    "\"end_of_word_suffix\": null, \"fuse_unk\": false, \"byte_fallback\": false, \"ignore_merges\": false,\n"
                    "    \"vocab\": {");
    for (int i = 0; i < N_SPECIAL + 256 + done; i++) {
        sbuf_puts(&out, i ? ", " : "");
        if (i < N_SPECIAL) json_write_string(&out, k_special[i], strlen(k_special[i]));
        else json_write_string(&out, str[i].data, str[i].len);
        sbuf_printf(&out, ": %d", i);
    }
    sbuf_puts(&out, "},\n    \"merges\": [");
    for (int i = 0; i < done; i++) {
        sbuf pair = SBUF_INIT;
        sbuf_append(&pair, str[merges[i][0]].data, str[merges[i][0]].len);
        sbuf_putc(&pair, ' ');
        sbuf_append(&pair, str[merges[i][1]].data, str[merges[i][1]].len);
        sbuf_puts(&out, i ? ", " : "");
        json_write_string(&out, pair.data, pair.len);
        sbuf_free(&pair);
    }
    sbuf_puts(&out, "]\n  }\n}\n");
    for (int i = 0; i < total; i++) sbuf_free(&str[i]);
    free(str);
    free(merges);
    free(seq);
    free(wstart);
    return sbuf_detach(&out, len);
}

/* The Nano-2 chat format as a Jinja template (for Hugging Face tools); corpusd
 * itself formats the same layout in C (synth/chat.c). */
static const char k_tokenizer_config[] =
    "{\n"
    "  \"bos_token\": \"<s>\",\n"
    "  \"eos_token\": \"</s>\",\n"
    "  \"pad_token\": \"<pad>\",\n"
    "  \"unk_token\": \"<unk>\",\n"
    "  \"add_bos_token\": false,\n"
    "  \"model_max_length\": 4096,\n"
    "  \"tokenizer_class\": \"PreTrainedTokenizerFast\",\n"
    "  \"chat_template\": \"{%- set ns = namespace(system='') -%}{%- for m in messages -%}{%- if m['role'] == 'system' "
    "-%}{%- set ns.system = m['content'] -%}{%- endif -%}{%- endfor -%}<SPECIAL_10>System\\n{{ ns.system }}\\n{%- for m "
    "in messages -%}{%- if m['role'] == 'user' -%}<SPECIAL_11>User\\n{{ m['content'] }}\\n{%- elif m['role'] == "
    "'assistant' -%}<SPECIAL_11>Assistant\\n{{ m['content'] }}</s>\\n{%- endif -%}{%- endfor -%}{%- if "
    "add_generation_prompt -%}<SPECIAL_11>Assistant\\n{%- if '/no_think' in ns.system -%}<think></think>{%- endif "
    "-%}{%- endif -%}\"\n"
    "}\n";

int synth_model_init(const char *config_json, size_t config_len, uint64_t seed, int bf16, const char *dir, cd_err *e)
{
    synth_config c;
    if (synth_config_parse(&c, config_json, config_len, "config", e)) return -1;
    if (c.vocab < N_SPECIAL + 256) {
        synth_config_free(&c);
        return cd_fail(e, CD_ECONFIG, "vocab_size %d is below the %d ids of the byte-level tokenizer", c.vocab,
                       N_SPECIAL + 256);
    }
    if (cd_mkdirs(dir, e)) {
        synth_config_free(&c);
        return -1;
    }
    rng r = {seed * 0x2545f4914f6cdd1dull + 12345};
    tensors t = {0};
    t.bf16 = bf16;
    int64_t D = c.hidden;
    double out_scale = 1.0 / sqrt(2.0 * c.n_layer);
    char nm[160];
    int64_t s2[3];
    s2[0] = c.vocab; s2[1] = D;
    add_tensor(&t, &r, "backbone.embeddings.weight", 2, s2, 0, 1.0);
    for (int l = 0; l < c.n_layer; l++) {
#define NM(sfx) (snprintf(nm, sizeof nm, "backbone.layers.%d.%s", l, sfx), nm)
        s2[0] = D;
        float *nw = add_tensor(&t, &r, NM("norm.weight"), 1, s2, 0, 0.1);
        for (int64_t i = 0; i < D; i++) nw[i] += 1.0f;
        char ty = c.pattern[l];
        if (ty == 'M') {
            int H = c.m_heads;
            s2[0] = c.d_in_proj; s2[1] = D;
            add_tensor(&t, &r, NM("mixer.in_proj.weight"), 2, s2, 0, 1.0 / sqrt((double)D));
            s2[0] = c.conv_dim; s2[1] = 1; s2[2] = c.d_conv;
            add_tensor(&t, &r, NM("mixer.conv1d.weight"), 3, s2, 2, 1.0 / sqrt((double)c.d_conv));
            if (c.conv_bias) add_tensor(&t, &r, NM("mixer.conv1d.bias"), 1, s2, 2, 0.1);
            s2[0] = H;
            float *dtb = add_tensor(&t, &r, NM("mixer.dt_bias"), 1, s2, 1, 0.0);
            for (int h = 0; h < H; h++) {
                double lo = log(c.time_step_min > 0 ? c.time_step_min : 1e-3), hi = log(0.1);
                double dt = exp(lo + rng_uniform(&r) * (hi - lo));
                if (dt < 1e-4) dt = 1e-4;
                dtb[h] = (float)(dt + log(-expm1(-dt)));
            }
            float *al = add_tensor(&t, &r, NM("mixer.A_log"), 1, s2, 1, 0.0);
            for (int h = 0; h < H; h++) al[h] = (float)log(1.0 + 15.0 * rng_uniform(&r));
            add_tensor(&t, &r, NM("mixer.D"), 1, s2, 1, 1.0);
            s2[0] = c.d_inner;
            float *mn = add_tensor(&t, &r, NM("mixer.norm.weight"), 1, s2, 0, 0.1);
            for (int i = 0; i < c.d_inner; i++) mn[i] += 1.0f;
            s2[0] = D; s2[1] = c.d_inner;
            add_tensor(&t, &r, NM("mixer.out_proj.weight"), 2, s2, 0, out_scale / sqrt((double)c.d_inner));
        } else if (ty == '*') {
            int64_t qd = (int64_t)c.n_head * c.head_dim, kd = (int64_t)c.n_kv_head * c.head_dim;
            s2[0] = qd; s2[1] = D;
            add_tensor(&t, &r, NM("mixer.q_proj.weight"), 2, s2, 0, 1.0 / sqrt((double)D));
            s2[0] = kd;
            add_tensor(&t, &r, NM("mixer.k_proj.weight"), 2, s2, 0, 1.0 / sqrt((double)D));
            add_tensor(&t, &r, NM("mixer.v_proj.weight"), 2, s2, 0, 1.0 / sqrt((double)D));
            s2[0] = D; s2[1] = qd;
            add_tensor(&t, &r, NM("mixer.o_proj.weight"), 2, s2, 0, out_scale / sqrt((double)qd));
        } else {
            s2[0] = c.d_ff; s2[1] = D;
            add_tensor(&t, &r, NM("mixer.up_proj.weight"), 2, s2, 0, 1.0 / sqrt((double)D));
            s2[0] = D; s2[1] = c.d_ff;
            add_tensor(&t, &r, NM("mixer.down_proj.weight"), 2, s2, 0, out_scale / sqrt((double)c.d_ff));
        }
#undef NM
    }
    s2[0] = D;
    add_tensor(&t, &r, "backbone.norm_f.weight", 1, s2, 1, 1.0);
    s2[0] = c.vocab; s2[1] = D;
    add_tensor(&t, &r, "lm_head.weight", 2, s2, 0, 1.0 / sqrt((double)D));
    /* bf16: convert every buffer in place (2-byte halves at the front). */
    if (bf16) {
        for (size_t i = 0; i < t.w.n; i++) {
            size_t n = t.w.t[i].nbytes / 4;
            float *f = t.bufs[i];
            uint16_t *h = (uint16_t *)f;
            for (size_t k = 0; k < n; k++) {
                uint16_t v = st_f32_to_bf16(f[k]);
                h[k] = v;
            }
            t.w.t[i].dtype = ST_BF16;
            t.w.t[i].nbytes = n * 2;
        }
    }
    char *p = xasprintf("%s/model.safetensors", dir);
    int rc = st_writer_write(&t.w, p, e);
    free(p);
    if (!rc) {
        p = xasprintf("%s/config.json", dir);
        rc = cd_write_file_atomic(p, config_json, config_len, e);
        free(p);
    }
    if (!rc) {
        size_t tl;
        char *tj = make_tokenizer_json(c.vocab, &tl);
        p = xasprintf("%s/tokenizer.json", dir);
        rc = cd_write_file_atomic(p, tj, tl, e);
        free(p);
        free(tj);
    }
    if (!rc) {
        p = xasprintf("%s/tokenizer_config.json", dir);
        rc = cd_write_file_atomic(p, k_tokenizer_config, sizeof k_tokenizer_config - 1, e);
        free(p);
    }
    for (size_t i = 0; i < t.n; i++) free(t.bufs[i]);
    free(t.bufs);
    st_writer_free(&t.w);
    synth_config_free(&c);
    return rc;
}
