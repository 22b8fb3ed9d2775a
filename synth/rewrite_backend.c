/*
 * rewrite_backend.c: the two backends of the synth stage.
 *
 * Endpoint: an OpenAI-compatible chat-completions server (vLLM, TensorRT-LLM,
 * ...), driven with libcurl's multi interface: at most `concurrency` requests
 * in flight, a timeout per request, and retries with exponential backoff and
 * seeded jitter on transport errors, 429/5xx and malformed bodies. A request
 * that still fails is recorded with its reason; it never stops the run.
 *
 * Embedded: corpusd's own Nemotron-H engine (synth/synth.h) with the model's
 * tokenizer, prompts laid out in the Nano-2 chat format, continuous batching
 * inside synth_generate().
 */
#include "synth/rewrite.h"
#include "core/json.h"
#include "synth/synth.h"
#include "tokenizer/bpe.h"

#include "core/lazy_curl.h"
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

struct rw_backend {
    int embedded;
    char model_id[256];
    char weights_hash[17];
    double occupancy_sum, occupancy_n;   /* warm steps: busy slots, slots */
    double all_busy, all_slots;          /* every step */
    /* endpoint */
    char *url, *model, *auth;
    int concurrency, retries;
    double timeout;
    /* embedded */
    synth_model *m;
    bpe *tok;
    int batch;
};

const char *rw_backend_model_id(const rw_backend *b) { return b->model_id; }
const char *rw_backend_weights_hash(const rw_backend *b) { return b->weights_hash; }
double rw_backend_occupancy(const rw_backend *b) { return b->occupancy_n > 0 ? b->occupancy_sum / b->occupancy_n : 0; }
double rw_backend_occupancy_all(const rw_backend *b) { return b->all_slots > 0 ? b->all_busy / b->all_slots : 0; }

/* -------------------------------------------------------------- endpoint */

static pthread_once_t g_curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

rw_backend *rw_backend_endpoint(const rw_endpoint_opts *o, cd_err *e)
{
    if (!o->url || strncmp(o->url, "http", 4) != 0) {
        cd_fail(e, CD_ECONFIG, "synth endpoint: a http(s) URL is needed, got '%s'", o->url ? o->url : "");
        return NULL;
    }
    pthread_once(&g_curl_once, curl_init_once);
    rw_backend *b = xcalloc(1, sizeof *b);
    size_t n = strlen(o->url);
    while (n && o->url[n - 1] == '/') n--;
    if (n >= 17 && !strncmp(o->url + n - 17, "/chat/completions", 17)) b->url = xstrndup(o->url, n);
    else b->url = xasprintf("%.*s/chat/completions", (int)n, o->url);
    b->model = xstrdup(o->model ? o->model : "default");
    b->auth = o->api_key && *o->api_key ? xasprintf("Authorization: Bearer %s", o->api_key) : NULL;
    b->concurrency = o->concurrency > 0 ? o->concurrency : 8;
    b->retries = o->retries >= 0 ? o->retries : 3;
    b->timeout = o->timeout > 0 ? o->timeout : 120;
    snprintf(b->model_id, sizeof b->model_id, "endpoint:%s", b->model);
    snprintf(b->weights_hash, sizeof b->weights_hash, "unknown");
    return b;
}

typedef struct transfer {
    CURL *h;
    struct curl_slist *headers;
    sbuf body, resp;
    int index, attempt;
    double not_before;
} transfer;

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
    sbuf_append(ud, p, sz * n);
    return sz * n;
}

static void build_body(const rw_backend *b, const rw_request *r, sbuf *out)
{
    sbuf_reset(out);
    sbuf_puts(out, "{\"model\":");
    json_write_string(out, b->model, strlen(b->model));
    sbuf_puts(out, ",\"messages\":[");
    if (r->system && *r->system) {
        sbuf_puts(out, "{\"role\":\"system\",\"content\":");
        json_write_string(out, r->system, strlen(r->system));
        sbuf_puts(out, "},");
    }
    sbuf_puts(out, "{\"role\":\"user\",\"content\":");
    json_write_string(out, r->user, strlen(r->user));
    /* Floats printed at float precision: 0.9f goes out as 0.9. */
    sbuf_printf(out, "}],\"max_tokens\":%d,\"temperature\":%.7g,\"top_p\":%.7g", r->max_tokens, (double)r->temperature,
                (double)r->top_p);
    if (r->top_k > 0) sbuf_printf(out, ",\"top_k\":%d", r->top_k);
    sbuf_printf(out, ",\"seed\":%llu}", (unsigned long long)(r->seed & 0x7fffffffffffffffULL));
}

static void start_transfer(rw_backend *b, CURLM *multi, transfer *t, rw_request *r)
{
    t->h = curl_easy_init();
    build_body(b, r, &t->body);
    sbuf_reset(&t->resp);
    t->headers = curl_slist_append(NULL, "Content-Type: application/json");
    if (b->auth) t->headers = curl_slist_append(t->headers, b->auth);
    curl_easy_setopt(t->h, CURLOPT_URL, b->url);
    curl_easy_setopt(t->h, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(t->h, CURLOPT_POSTFIELDS, t->body.data);
    curl_easy_setopt(t->h, CURLOPT_POSTFIELDSIZE, (long)t->body.len);
    curl_easy_setopt(t->h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(t->h, CURLOPT_WRITEDATA, &t->resp);
    curl_easy_setopt(t->h, CURLOPT_TIMEOUT_MS, (long)(b->timeout * 1000));
    curl_easy_setopt(t->h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(t->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(t->h, CURLOPT_USERAGENT, "corpusd-synth/0.1");
    curl_easy_setopt(t->h, CURLOPT_PRIVATE, t);
    curl_multi_add_handle(multi, t->h);
}

static void end_transfer(CURLM *multi, transfer *t)
{
    curl_multi_remove_handle(multi, t->h);
    curl_easy_cleanup(t->h);
    curl_slist_free_all(t->headers);
    t->h = NULL;
    t->headers = NULL;
}

/* 0 ok; 1 retryable failure; -1 permanent failure. */
static int parse_reply(long status, const sbuf *resp, rw_request *r)
{
    if (status == 429 || status >= 500) {
        snprintf(r->error, sizeof r->error, "HTTP %ld", status);
        return 1;
    }
    if (status != 200) {
        snprintf(r->error, sizeof r->error, "HTTP %ld", status);
        return -1;
    }
    arena a;
    arena_init(&a, 0);
    cd_err e;
    json_value *v = json_parse(&a, resp->data ? resp->data : "", resp->len, 64, &e);
    const json_value *choices = v ? json_object_get(v, "choices") : NULL;
    const json_value *c0 = choices && choices->type == JSON_ARRAY && choices->u.array.len ? choices->u.array.items[0] : NULL;
    size_t n;
    const char *content = json_str(json_get_path(c0, "message.content"), &n);
    if (!content) {
        snprintf(r->error, sizeof r->error, "malformed response: %s", v ? "no choices[0].message.content" : e.msg);
        arena_free(&a);
        return 1;
    }
    r->text = xstrndup(content, n);
    r->len = n;
    r->out_tokens = (int)json_num(json_get_path(v, "usage.completion_tokens"), -1);
    arena_free(&a);
    return 0;
}

static int endpoint_generate(rw_backend *b, rw_request *reqs, int n, cd_err *e)
{
    CURLM *multi = curl_multi_init();
    transfer *ts = xcalloc((size_t)b->concurrency, sizeof *ts);
    int *queue = xmalloc((size_t)(n ? n : 1) * sizeof *queue);
    int qhead = 0, qlen = 0, active = 0, done = 0;
    double *retry_at = xcalloc((size_t)(n ? n : 1), sizeof *retry_at);
    int *attempts = xcalloc((size_t)(n ? n : 1), sizeof *attempts);
    for (int i = 0; i < n; i++) queue[qlen++] = i;
    double t0 = cd_now(), busy = 0, last = t0;
    while (done < n) {
        /* Fill free slots with queued requests whose backoff has passed. */
        double now = cd_now();
        busy += active * (now - last);
        last = now;
        for (int s = 0; s < b->concurrency && qhead < qlen; s++) {
            if (ts[s].h) continue;
            int idx = queue[qhead];
            if (retry_at[idx] > now) break;
            qhead++;
            ts[s].index = idx;
            start_transfer(b, multi, &ts[s], &reqs[idx]);
            active++;
        }
        int running = 0;
        curl_multi_perform(multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(multi, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            transfer *t;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
            rw_request *r = &reqs[t->index];
            long status = 0;
            curl_easy_getinfo(t->h, CURLINFO_RESPONSE_CODE, &status);
            int verdict;
            if (msg->data.result != CURLE_OK) {
                snprintf(r->error, sizeof r->error, "%s", curl_easy_strerror(msg->data.result));
                verdict = 1;
            } else {
                verdict = parse_reply(status, &t->resp, r);
            }
            int idx = t->index;
            end_transfer(multi, t);
            active--;
            if (verdict == 0) {
                r->error[0] = 0;
                done++;
            } else if (verdict == 1 && attempts[idx] < b->retries) {
                attempts[idx]++;
                /* Exponential backoff with jitter seeded by the request. */
                uint64_t j = XXH3_64bits_withSeed(&attempts[idx], sizeof attempts[idx], reqs[idx].seed);
                double delay = 0.1 * pow(2, attempts[idx] - 1) * (0.5 + (double)(j % 1000) / 1000.0);
                retry_at[idx] = cd_now() + delay;
                /* Re-queue at the end; queue has room since each index is in it once at a time. */
                memmove(queue, queue + qhead, (size_t)(qlen - qhead) * sizeof *queue);
                qlen -= qhead;
                qhead = 0;
                queue[qlen++] = idx;
            } else {
                done++;
            }
        }
        if (done < n) curl_multi_poll(multi, NULL, 0, 20, NULL);
    }
    double wall = cd_now() - t0;
    if (wall > 0) {
        b->occupancy_sum += busy;
        b->occupancy_n += wall * b->concurrency;
        b->all_busy += busy;
        b->all_slots += wall * b->concurrency;
    }
    for (int i = 0; i < b->concurrency; i++) {
        sbuf_free(&ts[i].body);
        sbuf_free(&ts[i].resp);
    }
    free(ts);
    free(queue);
    free(retry_at);
    free(attempts);
    curl_multi_cleanup(multi);
    (void)e;
    return 0;
}

/* -------------------------------------------------------------- embedded */

rw_backend *rw_backend_embedded(const char *model_dir, int batch, cd_err *e)
{
    rw_backend *b = xcalloc(1, sizeof *b);
    b->embedded = 1;
    b->batch = batch > 0 ? batch : 16;
    if (synth_model_load(&b->m, model_dir, NULL, e)) {
        free(b);
        return NULL;
    }
    char *tp = xasprintf("%s/tokenizer.json", model_dir);
    b->tok = bpe_load(tp, e);
    free(tp);
    if (!b->tok) {
        synth_model_free(b->m);
        free(b);
        return NULL;
    }
    const char *base = strrchr(model_dir, '/');
    snprintf(b->model_id, sizeof b->model_id, "%s", base && base[1] ? base + 1 : model_dir);
    /* The weights hash: of the safetensors bytes would be exact but slow for
     * 18 GB; the config and tokenizer plus the file sizes identify a model. */
    sbuf h = SBUF_INIT;
    const char *files[] = {"config.json", "model.safetensors.index.json", "model.safetensors", NULL};
    for (int i = 0; files[i]; i++) {
        char *p = xasprintf("%s/%s", model_dir, files[i]);
        size_t n;
        char *data = i < 2 ? cd_read_file(p, &n, NULL) : NULL;
        if (data) {
            sbuf_append(&h, data, n);
            free(data);
        } else if (i == 2) {
            /* the first and last MiB of the weights */
            FILE *f = fopen(p, "rb");
            if (f) {
                char buf[1 << 16];
                size_t k;
                int blocks = 0;
                while (blocks++ < 16 && (k = fread(buf, 1, sizeof buf, f)) > 0) sbuf_append(&h, buf, k);
                fclose(f);
            }
        }
        free(p);
    }
    sbuf_puts(&h, bpe_hash(b->tok));
    snprintf(b->weights_hash, sizeof b->weights_hash, "%016llx", (unsigned long long)XXH3_64bits(h.data, h.len));
    sbuf_free(&h);
    return b;
}

/* The Nano-2 chat layout (what the model's chat_template renders). */
static void chat_format(const bpe *tok, const char *system, const char *user, sbuf *out)
{
    if (bpe_token_to_id(tok, "<SPECIAL_10>", 12) >= 0 && bpe_token_to_id(tok, "<SPECIAL_11>", 12) >= 0) {
        sbuf_printf(out, "<SPECIAL_10>System\n%s\n<SPECIAL_11>User\n%s\n<SPECIAL_11>Assistant\n", system ? system : "",
                    user);
        if (system && strstr(system, "/no_think")) sbuf_puts(out, "<think></think>");
    } else {
        if (system && *system) sbuf_printf(out, "%s\n\n", system);
        sbuf_printf(out, "%s\n\n", user);
    }
}

static int embedded_generate(rw_backend *b, rw_request *reqs, int n, cd_err *e)
{
    synth_request *sr = xcalloc((size_t)(n ? n : 1), sizeof *sr);
    bpe_ids *prompts = xcalloc((size_t)(n ? n : 1), sizeof *prompts);
    bpe_ctx *ctx = bpe_ctx_new(b->tok);
    sbuf text = SBUF_INIT;
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        sbuf_reset(&text);
        chat_format(b->tok, reqs[i].system, reqs[i].user, &text);
        if (bpe_encode(b->tok, ctx, text.data, text.len, BPE_PARSE_SPECIAL | BPE_ADD_SPECIAL, &prompts[i], e)) rc = -1;
        sr[i].prompt = prompts[i].ids;
        sr[i].prompt_len = (int)prompts[i].len;
        sr[i].sampling.temperature = reqs[i].temperature;
        sr[i].sampling.top_p = reqs[i].top_p;
        sr[i].sampling.top_k = reqs[i].top_k;
        sr[i].sampling.seed = reqs[i].seed;
        sr[i].max_new = reqs[i].max_tokens;
        sr[i].out = xmalloc((size_t)(reqs[i].max_tokens > 0 ? reqs[i].max_tokens : 1) * sizeof(int32_t));
    }
    synth_gen_stats gs = {0};
    if (!rc) rc = synth_generate_ex(b->m, sr, n, b->batch, 256, &gs, e);
    for (int i = 0; i < n; i++) {
        if (!rc) {
            sbuf_reset(&text);
            bpe_decode(b->tok, sr[i].out, (size_t)sr[i].n_out, &text, NULL);
            reqs[i].text = xstrndup(text.data ? text.data : "", text.len);
            reqs[i].len = text.len;
            reqs[i].out_tokens = sr[i].n_out;
        }
        free(sr[i].out);
        bpe_ids_free(&prompts[i]);
    }
    /* Occupancy measured by the engine's scheduler over the steps where
     * requests were waiting (the queue was warm); the tail of the last group,
     * when nothing is left to start, is counted in the overall figure only. */
    b->occupancy_sum += (double)gs.warm_busy;
    b->occupancy_n += (double)gs.warm_steps * (gs.max_batch ? gs.max_batch : 1);
    b->all_busy += (double)gs.busy;
    b->all_slots += (double)gs.steps * (gs.max_batch ? gs.max_batch : 1);
    sbuf_free(&text);
    bpe_ctx_free(ctx);
    free(sr);
    free(prompts);
    return rc;
}

int rw_backend_generate(rw_backend *b, rw_request *reqs, int n, cd_err *e)
{
    return b->embedded ? embedded_generate(b, reqs, n, e) : endpoint_generate(b, reqs, n, e);
}

void rw_backend_free(rw_backend *b)
{
    if (!b) return;
    free(b->url);
    free(b->model);
    free(b->auth);
    if (b->m) synth_model_free(b->m);
    if (b->tok) bpe_free(b->tok);
    free(b);
}
