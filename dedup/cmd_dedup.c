/*
 * cmd_dedup.c: `corpusd dedup IN... -o OUT_DIR --config F [--index DIR]
 * [--memory 4G] [--rejects F] [--snapshot NAME] [--threads N]`.
 *
 * Under mpirun/srun (more than one rank in the environment) the command
 * goes through dedup_mpi_launch(), which loads lib/corpusd-mpi.so; every
 * rank then runs dedup_command_main() with an MPI comm.
 */
#include "cli/cli.h"
#include "core/log.h"
#include "core/stage.h"
#include "dedup/dedup.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: corpusd dedup IN... -o OUT_DIR --config F [--index DIR] [--memory 4G] [--rejects F]\n"
            "                     [--snapshot NAME] [--threads N]\n\n"
            "Exact and MinHash-LSH near-duplicate removal over all inputs together (global),\n"
            "within --memory, optionally against a persistent index of earlier snapshots.\n"
            "  --config F      YAML with a top-level `dedup:` map (configs/dedup-fineweb.yaml,\n"
            "                  configs/dedup-nemotron.yaml, configs/dedup-exact.yaml)\n"
            "  --index DIR     persistent index: this run is added to it as a new snapshot and is\n"
            "                  deduplicated against every earlier one (default OUT_DIR/.dedup-index)\n"
            "  --snapshot NAME name of this snapshot in the index (default snapshot-N)\n"
            "  --memory SIZE   memory budget for sorting and merging (default 1G)\n"
            "  --rejects F     removed documents with metadata duplicate_of, dedup_cluster,\n"
            "                  dedup_method and drop_reason (JSONL; compression by suffix)\n"
            "  --threads N     signing and rewriting threads per process (default: all cores)\n"
            "Kept documents go to OUT_DIR/<input stem>.jsonl.zst, one file per input.\n"
            "Under mpirun/srun each rank signs its share of the inputs (lib/corpusd-mpi.so).\n"
            "Parameters of the `dedup:` map:\n");
    param_spec_print(DEDUP_PARAMS, f);
}

int dedup_command_main(int argc, char **argv, const dedup_comm *comm)
{
    static const char *const known[] = {"output", "config", "index", "memory", "rejects", "snapshot", "threads", NULL};
    cli_args a;
    if (cli_parse(argc, argv, NULL, &a)) return EXIT_USAGE;
    if (a.help) {
        usage(stdout);
        cli_free(&a);
        return EXIT_OK;
    }
    int code = EXIT_USAGE;
    if (cli_check(&a, "dedup", known)) goto out;
    if (!a.npos || !cli_get(&a, "output") || !cli_get(&a, "config")) {
        fprintf(stderr, "corpusd dedup: needs inputs, -o OUT_DIR and --config F (see --help)\n");
        goto out;
    }
    dedup_run_opts o;
    memset(&o, 0, sizeof o);
    cd_err e;
    cd_err_clear(&e);
    if (dedup_params_load(cli_get(&a, "config"), &o.params, &e)) {
        fprintf(stderr, "corpusd dedup: %s\n", e.msg);
        goto out;
    }
    o.inputs = a.pos;
    o.ninputs = a.npos;
    o.out_dir = cli_get(&a, "output");
    o.rejects = cli_get(&a, "rejects");
    o.snapshot = cli_get(&a, "snapshot");
    o.memory_limit = cli_get(&a, "memory") ? cd_parse_size(cli_get(&a, "memory")) : (int64_t)1 << 30;
    if (o.memory_limit < (64 << 20)) {
        fprintf(stderr, "corpusd dedup: --memory must be a size of at least 64M\n");
        goto out;
    }
    o.threads = cli_get(&a, "threads") ? atoi(cli_get(&a, "threads")) : 0;
    char *idx = cli_get(&a, "index") ? xstrdup(cli_get(&a, "index")) : xasprintf("%s/.dedup-index", o.out_dir);
    o.index_dir = idx;
    o.comm = comm;
    dedup_run_stats st;
    double t0 = cd_now();
    int rc = dedup_run(&o, &st, &e);
    free(idx);
    if (rc) {
        fprintf(stderr, "corpusd dedup: %s\n", e.msg);
        code = e.code == CD_ECONFIG ? EXIT_USAGE : EXIT_FAILURES;
        goto out;
    }
    if (!comm || comm->rank == 0) {
        double dt = cd_now() - t0;
        fprintf(stderr,
                "corpusd dedup: %llu docs, %llu removed (%llu exact, %llu near), %llu kept; %llu empty, "
                "%llu malformed records, %llu failed inputs; %llu candidate pairs\n"
                "  sign %.2f s (%s), sort+merge %.2f s, decide %.2f s, rewrite %.2f s, total %.2f s\n",
                (unsigned long long)st.docs, (unsigned long long)st.removed, (unsigned long long)st.removed_exact,
                (unsigned long long)st.removed_minhash, (unsigned long long)(st.docs - st.removed),
                (unsigned long long)st.empty, (unsigned long long)st.bad_records,
                (unsigned long long)st.failed_inputs, (unsigned long long)st.candidate_pairs, st.sign_seconds,
                dedup_simd_name(), st.sort_seconds, st.merge_seconds, st.write_seconds, dt);
        if (o.params.jaccard_check)
            fprintf(stderr, "  jaccard_check %s >= %.3f: %llu candidates checked, %llu below the threshold\n",
                    o.params.jaccard_check == DEDUP_CHECK_EXACT ? "exact" : "signature", o.params.jaccard_threshold,
                    (unsigned long long)st.checked_pairs, (unsigned long long)st.rejected_pairs);
    }
    code = st.failed_inputs ? EXIT_FAILURES : EXIT_OK;
out:
    cli_free(&a);
    return code;
}

static int cmd_dedup(int argc, char **argv) { return dedup_mpi_launch("dedup", argc, argv, dedup_command_main); }
CORPUSD_COMMAND("dedup", "global exact and MinHash-LSH near-duplicate removal (incremental index, MPI)", cmd_dedup)

/* `corpusd dedup-bench FILE... --config F [--docs N]`: signing throughput of
 * one thread (normalize + shingle + MinHash + band hashes + exact hash, the
 * per-document work of phase 1), over documents held in memory so that
 * reading and JSON parsing are not measured. For bench/dedup/run.sh. */
#include "core/doc.h"
#include "core/io.h"

#include <time.h>

static int cmd_dedup_bench(int argc, char **argv)
{
    static const char *const known[] = {"config", "docs", "repeat", NULL};
    cli_args a;
    if (cli_parse(argc, argv, NULL, &a)) return EXIT_USAGE;
    if (a.help || !a.npos || !cli_get(&a, "config") || cli_check(&a, "dedup-bench", known)) {
        printf("usage: corpusd dedup-bench FILE.jsonl... --config F [--docs N] [--repeat R]\n");
        int h = a.help;
        cli_free(&a);
        return h ? EXIT_OK : EXIT_USAGE;
    }
    cd_err e;
    dedup_params p;
    if (dedup_params_load(cli_get(&a, "config"), &p, &e)) {
        fprintf(stderr, "corpusd dedup-bench: %s\n", e.msg);
        cli_free(&a);
        return EXIT_USAGE;
    }
    size_t maxdocs = cli_get(&a, "docs") ? (size_t)atoll(cli_get(&a, "docs")) : 100000;
    int repeat = cli_get(&a, "repeat") ? atoi(cli_get(&a, "repeat")) : 1;
    char **texts = NULL;
    size_t *lens = NULL, n = 0;
    uint64_t bytes = 0;
    for (size_t f = 0; f < a.npos && n < maxdocs; f++) {
        io_reader *r = io_open(a.pos[f], &e);
        if (!r) continue;
        const char *line;
        size_t len;
        while (n < maxdocs && io_getline(r, &line, &len, &e) == 1) {
            doc *d = doc_from_json(line, len, &e);
            if (!d) continue;
            texts = xrealloc(texts, (n + 1) * sizeof *texts);
            lens = xrealloc(lens, (n + 1) * sizeof *lens);
            texts[n] = xstrndup(d->text, d->text_len);
            lens[n] = d->text_len;
            bytes += d->text_len;
            n++;
            doc_free(d);
        }
        io_close(r);
    }
    dedup_signer *s = dedup_signer_new(&p);
    uint64_t *sig = xcalloc((size_t)(p.bands * p.rows) + 8, 8);
    dedup_hash128 *bh = xcalloc((size_t)p.bands, sizeof *bh);
    sbuf norm = SBUF_INIT;
    uint64_t sink = 0;
    struct timespec c0, c1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    double t0 = cd_now();
    for (int rep = 0; rep < repeat; rep++)
        for (size_t i = 0; i < n; i++) {
            sbuf_reset(&norm);
            dedup_normalize(&p.norm, texts[i], lens[i], &norm);
            dedup_hash128 h = dedup_exact_hash(norm.data, norm.len);
            sink ^= h.lo;
            if (p.minhash && dedup_signer_sign(s, norm.data, norm.len, sig)) {
                dedup_band_hashes(&p, sig, bh);
                sink ^= bh[0].lo;
            }
        }
    double dt = cd_now() - t0;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    double cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
    /* Per core = per CPU-second of this thread: on a shared machine wall
     * time also counts the time other processes held the core. */
    printf("preset=%s kernel=%s docs=%zu MB=%.1f cpu_s=%.3f wall_s=%.3f MB/s/core=%.1f docs/s/core=%.0f [%llx]\n",
           p.preset, dedup_simd_name(), n * (size_t)repeat, (double)bytes * repeat / 1e6, cpu, dt,
           (double)bytes * repeat / 1e6 / cpu, (double)n * repeat / cpu, (unsigned long long)(sink & 0xf));
    for (size_t i = 0; i < n; i++) free(texts[i]);
    free(texts);
    free(lens);
    free(sig);
    free(bh);
    sbuf_free(&norm);
    dedup_signer_free(s);
    cli_free(&a);
    return EXIT_OK;
}
CORPUSD_COMMAND("dedup-bench", "signing throughput of the dedup presets on one thread (benchmark helper)",
                cmd_dedup_bench)
