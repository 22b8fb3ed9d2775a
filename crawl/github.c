/*
 * github.c: repository archives, git trees and downloads into file lists,
 * with the safety refusals of github.h; the `github` reader and the
 * `corpusd github fetch` command.
 *
 * An archive is read whole into memory before any document is emitted, so
 * that an archive refused as a whole (expansion_limit) emits nothing and so
 * that the top-level directory of a GitHub tarball can be stripped. Memory
 * is bounded by max_total_size. Every read is bounded: an entry's data is
 * read at most max_file_size + 1 bytes, whatever its header claims.
 *
 * The reader takes one input, which is either
 *  - a local archive (.tar, .tar.gz, .tgz, .tar.zst, .tar.xz, .zip): the
 *    repository is named by reader parameter `repo` or by the file's stem;
 *  - a local git repository (a directory with .git, or a bare one): the
 *    tree at parameter `ref` (default HEAD), repository named by `repo` or
 *    the directory name, commit = the resolved sha;
 *  - otherwise a repository list (one gh_parse_repo_line per line), each
 *    entry fetched from `base_url` as <base>/<owner>/<name>/tar.gz/<ref>.
 * A repository that fails to download or to open is logged and counted
 * (fetch_failed, archive_failed) and the list goes on: bad input is never
 * fatal. Output order: list order, then archive entry order.
 *
 * Every document carries metadata repo, path, ref, commit, size, language
 * (when known), stars (the list line's second field, or parameter `stars`
 * for an archive or clone; absent when not given) and date (ISO 8601 UTC,
 * with date_source "commit" for a clone's committer time or
 * "archive_mtime" for an archive's newest entry mtime, which is the commit
 * time for GitHub/git-archive tarballs): what dedup's keep policy reads.
 */
#include "crawl/github.h"
#include "core/io.h"
#include "core/log.h"

#include "core/lazy_archive.h"
#include "core/lazy_curl.h"
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef HAVE_LIBGIT2
#include "core/lazy_git2.h"
#endif

void gh_limits_default(gh_limits *l)
{
    l->max_file_size = 1 << 20;           /* The Stack v1 dropped files over 1 MB */
    l->max_total_size = (int64_t)1 << 30; /* 1 GiB expanded per repository */
    l->max_files = 200000;
    l->max_nontext = 0.3;                 /* control bytes; see gh_is_binary */
}

void gh_files_free(gh_files *f)
{
    for (size_t i = 0; i < f->len; i++) {
        free(f->v[i].path);
        free(f->v[i].data);
    }
    free(f->v);
    free(f->commit);
    memset(f, 0, sizeof *f);
}

static void files_push(gh_files *f, char *path, char *data, size_t len)
{
    if (f->len == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 64;
        f->v = xrealloc(f->v, f->cap * sizeof *f->v);
    }
    f->v[f->len++] = (gh_file){path, data, len};
}

int gh_is_binary(const char *data, size_t n, double max_nontext)
{
    size_t k = n < 8000 ? n : 8000;
    if (memchr(data, 0, k)) return 1;
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)data[i];
        if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != '\b' && c != 0x1b) || c == 0x7f)
            bad++;
    }
    return n && (double)bad / (double)n > max_nontext;
}

/* Normalises an archive path: strips "./" and repeated '/', refuses
 * absolute paths and ".." components. NULL when refused. */
static char *clean_path(const char *p)
{
    if (!p || !*p || *p == '/') return NULL;
    sbuf o = SBUF_INIT;
    const char *s = p;
    while (*s) {
        const char *e = strchr(s, '/');
        size_t k = e ? (size_t)(e - s) : strlen(s);
        if (k == 2 && s[0] == '.' && s[1] == '.') {
            sbuf_free(&o);
            return NULL;
        }
        if (k && !(k == 1 && s[0] == '.')) {
            if (o.len) sbuf_putc(&o, '/');
            sbuf_append(&o, s, k);
        }
        s += k;
        while (*s == '/') s++;
    }
    if (!o.len) {
        sbuf_free(&o);
        return xstrdup("");
    }
    return sbuf_detach(&o, NULL);
}

/* 1 when a link at `path` pointing to `target` stays inside the root. */
static int link_inside(const char *path, const char *target)
{
    if (!target || !*target || target[0] == '/') return 0;
    int depth = 0;
    for (const char *s = path; *s; s++)
        if (*s == '/') depth++;   /* directories above the link */
    const char *s = target;
    while (*s) {
        const char *e = strchr(s, '/');
        size_t k = e ? (size_t)(e - s) : strlen(s);
        if (k == 2 && s[0] == '.' && s[1] == '.') {
            if (--depth < 0) return 0;
        } else if (k && !(k == 1 && s[0] == '.')) {
            depth++;
        }
        s += k;
        while (*s == '/') s++;
    }
    return 1;
}

static int read_archive(struct archive *a, const gh_limits *l, int strip, gh_files *out, stage_stats *st,
                        const char *name, cd_err *e)
{
    struct archive_entry *ent;
    int64_t total = 0, nentries = 0;
    int rc = 0;
    for (;;) {
        int r = archive_read_next_header(a, &ent);
        if (r == ARCHIVE_EOF) break;
        if (r == ARCHIVE_WARN) log_warn("%s: %s", name, archive_error_string(a));
        else if (r != ARCHIVE_OK) {
            rc = cd_fail(e, CD_EINPUT, "%s: bad archive at entry %lld: %s", name, (long long)nentries,
                         archive_error_string(a) ? archive_error_string(a) : "unreadable");
            break;
        }
        if (++nentries > l->max_files) {
            stats_drop(st, "expansion_limit", 1);
            rc = cd_fail(e, CD_EINPUT, "%s: more than %lld entries: archive refused", name, (long long)l->max_files);
            break;
        }
        const char *raw = archive_entry_pathname(ent);
        char *path = clean_path(raw);
        if (!path) {
            stats_drop(st, "path_traversal", 1);
            log_warn("%s: refused entry with path traversal: %s", name, raw ? raw : "(null)");
            continue;
        }
        mode_t type = archive_entry_filetype(ent);
        const char *hl = archive_entry_hardlink(ent);
        if (type == AE_IFLNK || hl) {
            const char *target = type == AE_IFLNK ? archive_entry_symlink(ent) : NULL;
            int inside;
            if (hl) {
                char *h = clean_path(hl);
                inside = h != NULL;
                free(h);
            } else {
                inside = link_inside(path, target);
            }
            stats_drop(st, inside ? "symlink" : "symlink_outside", 1);
            if (!inside) log_warn("%s: refused link leaving the repository: %s -> %s", name, path, target ? target : hl);
            free(path);
            continue;
        }
        if (type == AE_IFDIR) {
            free(path);
            continue;
        }
        if (type != AE_IFREG) {
            stats_drop(st, "device_file", 1);
            log_warn("%s: refused special file: %s", name, path);
            free(path);
            continue;
        }
        if (archive_entry_size_is_set(ent) && archive_entry_size(ent) > l->max_file_size) {
            stats_drop(st, "too_large", 1);
            free(path);
            continue;
        }
        /* Read at most max_file_size + 1 bytes, whatever the header says. */
        size_t cap = 8192, len = 0;
        char *buf = xmalloc(cap);
        int too_big = 0, bad = 0;
        for (;;) {
            if (len == cap) {
                if ((int64_t)cap > l->max_file_size) {
                    too_big = 1;
                    break;
                }
                cap *= 2;
                buf = xrealloc(buf, cap);
            }
            la_ssize_t got = archive_read_data(a, buf + len, cap - len);
            if (got < 0) {
                bad = 1;
                break;
            }
            if (got == 0) break;
            len += (size_t)got;
            total += got;
            if ((int64_t)len > l->max_file_size) {
                too_big = 1;
                break;
            }
            if (total > l->max_total_size) break;
        }
        if (total > l->max_total_size) {
            free(buf);
            free(path);
            stats_drop(st, "expansion_limit", 1);
            rc = cd_fail(e, CD_EINPUT, "%s: expands past %lld bytes: archive refused", name,
                         (long long)l->max_total_size);
            break;
        }
        if (bad) {
            free(buf);
            free(path);
            rc = cd_fail(e, CD_EINPUT, "%s: corrupt data in entry %lld: %s", name, (long long)nentries,
                         archive_error_string(a) ? archive_error_string(a) : "read error");
            break;
        }
        if (too_big) {
            free(buf);
            free(path);
            stats_drop(st, "too_large", 1);
            continue;
        }
        if (gh_is_binary(buf, len, l->max_nontext)) {
            free(buf);
            free(path);
            stats_drop(st, "binary", 1);
            continue;
        }
        if (archive_entry_mtime_is_set(ent) && archive_entry_mtime(ent) > out->date)
            out->date = (int64_t)archive_entry_mtime(ent);
        files_push(out, path, buf, len);
    }
    if (rc) {
        gh_files_free(out);
        return -1;
    }
    if (strip && out->len) {
        /* Drop the single top-level directory shared by every file. */
        const char *sl = strchr(out->v[0].path, '/');
        size_t k = sl ? (size_t)(sl - out->v[0].path) : 0;
        int all = k > 0;
        for (size_t i = 0; all && i < out->len; i++)
            if (strncmp(out->v[i].path, out->v[0].path, k) || out->v[i].path[k] != '/') all = 0;
        if (all)
            for (size_t i = 0; i < out->len; i++) memmove(out->v[i].path, out->v[i].path + k + 1, strlen(out->v[i].path + k + 1) + 1);
    }
    return 0;
}

static struct archive *archive_new(void)
{
    struct archive *a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
    archive_read_support_format_zip(a);
    return a;
}

int gh_read_archive_file(const char *path, const gh_limits *l, int strip, gh_files *out, stage_stats *st, cd_err *e)
{
    memset(out, 0, sizeof *out);
    out->date = -1;
    struct archive *a = archive_new();
    if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
        int rc = cd_fail(e, CD_EINPUT, "%s: not a readable archive: %s", path,
                         archive_error_string(a) ? archive_error_string(a) : "unknown format");
        archive_read_free(a);
        return rc;
    }
    int rc = read_archive(a, l, strip, out, st, path, e);
    archive_read_free(a);
    return rc;
}

int gh_read_archive_memory(const void *buf, size_t n, const gh_limits *l, int strip, gh_files *out,
                           stage_stats *st, cd_err *e)
{
    memset(out, 0, sizeof *out);
    out->date = -1;
    struct archive *a = archive_new();
    if (archive_read_open_memory(a, buf, n) != ARCHIVE_OK) {
        int rc = cd_fail(e, CD_EINPUT, "archive in memory: not readable: %s",
                         archive_error_string(a) ? archive_error_string(a) : "unknown format");
        archive_read_free(a);
        return rc;
    }
    int rc = read_archive(a, l, strip, out, st, "archive", e);
    archive_read_free(a);
    return rc;
}

/* GitHub's tarballs (git archive) open with a pax global header whose
 * comment is the commit id. libarchive skips global headers, so read the
 * first decompressed block ourselves through its raw format. Returns a
 * malloc'd 40-hex sha or NULL. */
static char *tar_commit(struct archive *a)
{
    struct archive_entry *ent;
    char *out = NULL;
    if (archive_read_next_header(a, &ent) != ARCHIVE_OK) return NULL;
    char blk[2048];
    size_t got = 0;
    while (got < sizeof blk) {
        la_ssize_t n = archive_read_data(a, blk + got, sizeof blk - got);
        if (n <= 0) break;
        got += (size_t)n;
    }
    if (got >= 1024 && blk[156] == 'g' && !memcmp(blk + 257, "ustar", 5)) {
        const char *c = memmem(blk + 512, got - 512, "comment=", 8);
        if (c && c + 8 + 40 <= blk + got) {
            int hex = 1;
            for (int i = 0; i < 40; i++) {
                char x = c[8 + i];
                if (!((x >= '0' && x <= '9') || (x >= 'a' && x <= 'f'))) hex = 0;
            }
            if (hex) out = xstrndup(c + 8, 40);
        }
    }
    return out;
}

char *gh_archive_commit(const char *path, const void *buf, size_t n)
{
    struct archive *a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_raw(a);
    int rc = path ? archive_read_open_filename(a, path, 16384) : archive_read_open_memory(a, buf, n);
    char *sha = rc == ARCHIVE_OK ? tar_commit(a) : NULL;
    archive_read_free(a);
    return sha;
}

/* -------------------------------------------------------------------- git */

#ifdef HAVE_LIBGIT2
typedef struct git_walk {
    git_repository *repo;
    const gh_limits *l;
    gh_files *out;
    stage_stats *st;
    int64_t total, n;
    int refused;
} git_walk;

static int git_cb(const char *root, const git_tree_entry *te, void *arg)
{
    git_walk *w = arg;
    const char *nm = git_tree_entry_name(te);
    if (!strcmp(nm, "..") || !strcmp(nm, ".") || strchr(nm, '/')) {
        stats_drop(w->st, "path_traversal", 1);
        return 1;   /* skip this entry (and its subtree) */
    }
    git_filemode_t mode = git_tree_entry_filemode(te);
    if (mode == GIT_FILEMODE_TREE) return 0;
    if (mode == GIT_FILEMODE_COMMIT) return 0;   /* submodule: not part of this tree */
    if (++w->n > w->l->max_files) {
        w->refused = 1;
        return -1;
    }
    char *path = xasprintf("%s%s", root, nm);
    git_blob *blob = NULL;
    if (git_blob_lookup(&blob, w->repo, git_tree_entry_id(te))) {
        free(path);
        return 0;
    }
    size_t len = (size_t)git_blob_rawsize(blob);
    const char *data = git_blob_rawcontent(blob);
    if (mode == GIT_FILEMODE_LINK) {
        char *target = xstrndup(data, len);
        int inside = link_inside(path, target);
        stats_drop(w->st, inside ? "symlink" : "symlink_outside", 1);
        free(target);
    } else if ((int64_t)len > w->l->max_file_size) {
        stats_drop(w->st, "too_large", 1);
    } else if ((w->total += (int64_t)len) > w->l->max_total_size) {
        w->refused = 1;
        git_blob_free(blob);
        free(path);
        return -1;
    } else if (gh_is_binary(data, len, w->l->max_nontext)) {
        stats_drop(w->st, "binary", 1);
    } else {
        char *copy = xmalloc(len + 1);
        memcpy(copy, data, len);
        copy[len] = 0;
        files_push(w->out, path, copy, len);
        path = NULL;
    }
    free(path);
    git_blob_free(blob);
    return 0;
}
#endif

int gh_read_git(const char *repo_path, const char *ref, const gh_limits *l, gh_files *out, stage_stats *st, cd_err *e)
{
    memset(out, 0, sizeof *out);
    out->date = -1;
#ifdef HAVE_LIBGIT2
    git_libgit2_init();
    git_repository *repo = NULL;
    git_object *obj = NULL;
    git_commit *commit = NULL;
    git_tree *tree = NULL;
    int rc = -1;
    if (git_repository_open_ext(&repo, repo_path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL)) {
        const git_error *ge = git_error_last();
        cd_fail(e, CD_EINPUT, "%s: not a git repository: %s", repo_path, ge ? ge->message : "");
        goto done;
    }
    if (git_revparse_single(&obj, repo, ref ? ref : "HEAD") ||
        git_object_peel((git_object **)&commit, obj, GIT_OBJECT_COMMIT) || git_commit_tree(&tree, commit)) {
        const git_error *ge = git_error_last();
        cd_fail(e, CD_EINPUT, "%s: no commit at ref '%s': %s", repo_path, ref ? ref : "HEAD", ge ? ge->message : "");
        goto done;
    }
    char sha[GIT_OID_HEXSZ + 1];
    git_oid_tostr(sha, sizeof sha, git_commit_id(commit));
    git_walk w = {repo, l, out, st, 0, 0, 0};
    git_tree_walk(tree, GIT_TREEWALK_PRE, git_cb, &w);
    if (w.refused) {
        stats_drop(st, "expansion_limit", 1);
        gh_files_free(out);
        cd_fail(e, CD_EINPUT, "%s: tree expands past the limits: refused", repo_path);
        goto done;
    }
    out->commit = xstrdup(sha);
    out->date = (int64_t)git_commit_time(commit);
    rc = 0;
done:
    git_tree_free(tree);
    git_commit_free(commit);
    git_object_free(obj);
    git_repository_free(repo);
    git_libgit2_shutdown();
    return rc;
#else
    (void)ref, (void)l, (void)st;
    return cd_fail(e, CD_ECONFIG, "%s: built without libgit2 (install libgit2-dev)", repo_path);
#endif
}

/* ------------------------------------------------------------------ fetch */

typedef struct fetch_buf {
    sbuf *out;
    int64_t max;
    int over;
} fetch_buf;

static size_t fetch_write(char *p, size_t size, size_t nm, void *arg)
{
    fetch_buf *f = arg;
    size_t n = size * nm;
    if ((int64_t)(f->out->len + n) > f->max) {
        f->over = 1;
        return 0;
    }
    sbuf_append(f->out, p, n);
    return n;
}

static pthread_once_t g_curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

int gh_fetch(const char *url, int64_t max_bytes, long timeout_s, int retries, sbuf *out, cd_err *e)
{
    pthread_once(&g_curl_once, curl_init_once);
    CURL *c = curl_easy_init();
    if (!c) return cd_fail(e, CD_EINTERNAL, "curl_easy_init failed");
    int rc = -1;
    for (int attempt = 0; attempt <= retries; attempt++) {
        sbuf_reset(out);
        fetch_buf fb = {out, max_bytes, 0};
        char errbuf[CURL_ERROR_SIZE] = "";
        curl_easy_reset(c);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout_s < 30 ? timeout_s : 30L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fetch_write);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &fb);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "corpusd-github/1");
        CURLcode cc = curl_easy_perform(c);
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (fb.over) {
            rc = cd_fail(e, CD_EINPUT, "%s: archive over %lld bytes: refused", url, (long long)max_bytes);
            break;
        }
        if (cc == CURLE_OK && status >= 200 && status < 300) {
            rc = 0;
            break;
        }
        if (cc == CURLE_OK)
            rc = cd_fail(e, CD_EINPUT, "%s: HTTP %ld", url, status);
        else
            rc = cd_fail(e, CD_EIO, "%s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(cc));
        if (cc == CURLE_OK && status < 500 && status != 429) break;   /* 4xx: no retry */
        if (attempt < retries) usleep(200000u << attempt);
    }
    curl_easy_cleanup(c);
    return rc;
}

/* ------------------------------------------------------------ repo lists */

void gh_repo_ref_free(gh_repo_ref *r)
{
    free(r->owner);
    free(r->name);
    free(r->ref);
    free(r->url);
    memset(r, 0, sizeof *r);
}

static int valid_name(const char *s, size_t n)
{
    if (!n || n > 100 || (n <= 2 && s[0] == '.')) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.'))
            return 0;
    }
    return 1;
}

int gh_parse_repo_line(const char *line, size_t n, gh_repo_ref *out)
{
    memset(out, 0, sizeof *out);
    while (n && (*line == ' ' || *line == '\t')) line++, n--;
    while (n && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r')) n--;
    if (!n || line[0] == '#') return 0;
    /* An optional second field is the star count (for dedup's keep
     * policy); anything after it is ignored. */
    out->stars = -1;
    for (size_t i = 0; i < n; i++)
        if (line[i] == ' ' || line[i] == '\t') {
            size_t j = i;
            while (j < n && (line[j] == ' ' || line[j] == '\t')) j++;
            int64_t v = 0;
            size_t k = j;
            while (k < n && line[k] >= '0' && line[k] <= '9' && v < ((int64_t)1 << 40)) v = v * 10 + (line[k++] - '0');
            if (k > j && (k == n || line[k] == ' ' || line[k] == '\t')) out->stars = v;
            n = i;
            break;
        }
    static const char GH[] = "https://github.com/";
    const char *s = line;
    size_t k = n;
    if (k > sizeof GH - 1 && !strncmp(s, GH, sizeof GH - 1)) {
        s += sizeof GH - 1;
        k -= sizeof GH - 1;
        const char *sl = memchr(s, '/', k);
        if (!sl) return -1;
        const char *nm = sl + 1;
        const char *end = s + k;
        const char *sl2 = memchr(nm, '/', (size_t)(end - nm));
        const char *nm_end = sl2 ? sl2 : end;
        if ((size_t)(nm_end - nm) > 4 && !memcmp(nm_end - 4, ".git", 4)) nm_end -= 4;
        if (!valid_name(s, (size_t)(sl - s)) || !valid_name(nm, (size_t)(nm_end - nm))) return -1;
        out->owner = xstrndup(s, (size_t)(sl - s));
        out->name = xstrndup(nm, (size_t)(nm_end - nm));
        if (sl2 && end - sl2 > 6 && !memcmp(sl2, "/tree/", 6)) out->ref = xstrndup(sl2 + 6, (size_t)(end - sl2 - 6));
        return 1;
    }
    if ((k > 7 && !strncmp(s, "http://", 7)) || (k > 8 && !strncmp(s, "https://", 8)) ||
        (k > 7 && !strncmp(s, "file://", 7))) {
        /* a direct archive URL: name the repository after its last parts */
        out->url = xstrndup(s, k);
        const char *end = s + k;
        const char *b = end;
        while (b > s && b[-1] != '/') b--;
        size_t bl = (size_t)(end - b);
        char *base = xstrndup(b, bl);
        for (const char *suf = NULL, *const *p = (const char *const[]){".tar.gz", ".tgz", ".zip", ".tar", NULL};
             *p; p++)
            if (cd_ends_with(base, *p)) {
                suf = *p;
                base[strlen(base) - strlen(suf)] = 0;
                break;
            }
        out->owner = xstrdup("url");
        out->name = base;
        return 1;
    }
    const char *sl = memchr(s, '/', k);
    if (!sl) return -1;
    const char *at = memchr(sl, '@', k - (size_t)(sl - s));
    const char *nm_end = at ? at : s + k;
    if (!valid_name(s, (size_t)(sl - s)) || !valid_name(sl + 1, (size_t)(nm_end - sl - 1))) return -1;
    out->owner = xstrndup(s, (size_t)(sl - s));
    out->name = xstrndup(sl + 1, (size_t)(nm_end - sl - 1));
    if (at) {
        size_t rl = (size_t)(s + k - at - 1);
        if (!rl) {
            gh_repo_ref_free(out);
            return -1;
        }
        out->ref = xstrndup(at + 1, rl);
    }
    return 1;
}

/* ----------------------------------------------------------------- reader */

static const param_spec GH_READER_PARAMS[] = {
    {"base_url", PARAM_STRING, "https://codeload.github.com",
     "codeload-style base: <base>/<owner>/<name>/tar.gz/<ref>"},
    {"ref", PARAM_STRING, "HEAD", "ref of local git repositories and of list entries without @ref"},
    {"repo", PARAM_STRING, NULL, "owner/name for a local archive or clone (default: its file name)"},
    {"max_file_size", PARAM_SIZE, "1M", "larger files are refused (The Stack v1 dropped files over 1 MB)"},
    {"max_total_size", PARAM_SIZE, "1G", "a repository expanding past this is refused (zip bombs)"},
    {"max_files", PARAM_INT, "200000", "a repository with more entries is refused"},
    {"max_archive_size", PARAM_SIZE, "512M", "largest download accepted"},
    {"max_nontext", PARAM_DOUBLE, "0.3", "files with more control bytes than this fraction are binary"},
    {"timeout", PARAM_INT, "300", "seconds per download"},
    {"retries", PARAM_INT, "2", "retries of a download after 5xx or a dropped connection"},
    {"stars", PARAM_INT, "-1", "star count of a local archive or clone (metadata.stars; a list gives it per line)"},
    {0},
};

typedef enum { SRC_ARCHIVE, SRC_GIT, SRC_LIST } gh_src_kind;

typedef struct gh_reader {
    gh_src_kind kind;
    gh_limits lim;
    io_reader *list;
    char *input;
    gh_files files;
    size_t next_file;
    char *repo, *ref, *commit;
    int64_t stars;             /* -1 when the list does not say */
    int have_files;
} gh_reader;

static int is_archive_name(const char *p)
{
    static const char *const S[] = {".tar", ".tar.gz", ".tgz", ".tar.zst", ".tar.xz", ".tar.bz2", ".zip", NULL};
    for (int i = 0; S[i]; i++)
        if (cd_ends_with(p, S[i])) return 1;
    return 0;
}

static char *stem_name(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    char *s = xstrdup(b);
    static const char *const S[] = {".tar.gz", ".tar.zst", ".tar.xz", ".tar.bz2", ".tgz", ".tar", ".zip", ".git", NULL};
    for (int i = 0; S[i]; i++)
        if (cd_ends_with(s, S[i])) {
            s[strlen(s) - strlen(S[i])] = 0;
            break;
        }
    return s;
}

static void set_repo(gh_reader *g, const char *repo, const char *ref, const char *commit)
{
    free(g->repo);
    free(g->ref);
    free(g->commit);
    g->repo = xstrdup(repo);
    g->ref = xstrdup(ref);
    g->commit = xstrdup(commit);
}

static int gh_open(reader *r, const char *path, cd_err *e)
{
    gh_reader *g = xcalloc(1, sizeof *g);
    gh_limits_default(&g->lim);
    g->lim.max_file_size = param_size(r->params, "max_file_size");
    g->lim.max_total_size = param_size(r->params, "max_total_size");
    g->lim.max_files = param_int(r->params, "max_files");
    g->lim.max_nontext = param_double(r->params, "max_nontext");
    g->input = xstrdup(path);
    const char *ref = param_str(r->params, "ref");
    const char *repo = param_str(r->params, "repo");
    g->stars = param_int(r->params, "stars");   /* archive or clone; a list gives its own per line */
    struct stat st;
    if (stat(path, &st)) {
        int rc = cd_fail(e, CD_EIO, "%s: %s", path, strerror(errno));
        free(g->input);
        free(g);
        return rc;
    }
    char *stem = stem_name(path);
    char *name = repo ? xstrdup(repo) : xasprintf("local/%s", stem);
    free(stem);
    int rc = 0;
    if (S_ISDIR(st.st_mode)) {
        g->kind = SRC_GIT;
        rc = gh_read_git(path, ref, &g->lim, &g->files, &r->stats, e);
        if (!rc) set_repo(g, name, ref, g->files.commit);
        g->have_files = !rc;
    } else if (is_archive_name(path)) {
        g->kind = SRC_ARCHIVE;
        rc = gh_read_archive_file(path, &g->lim, 1, &g->files, &r->stats, e);
        /* The commit from a GitHub tarball's pax header, else the ref. */
        if (!rc) {
            char *sha = gh_archive_commit(path, NULL, 0);
            set_repo(g, name, ref, sha ? sha : ref);
            free(sha);
        }
        g->have_files = !rc;
    } else {
        g->kind = SRC_LIST;
        g->list = io_open(path, e);
        if (!g->list) rc = -1;
    }
    free(name);
    if (rc) {
        gh_files_free(&g->files);
        free(g->repo);
        free(g->ref);
        free(g->commit);
        free(g->input);
        free(g);
        return -1;
    }
    r->priv = g;
    return 0;
}

/* Loads the next repository of the list; 1 loaded, 0 end, -1 error. */
static int next_repo(reader *r, gh_reader *g, cd_err *e)
{
    for (;;) {
        const char *line;
        size_t n;
        int got = io_getline(g->list, &line, &n, e);
        r->bytes_read = io_raw_offset(g->list);
        if (got <= 0) return got;
        gh_repo_ref ref;
        int pr = gh_parse_repo_line(line, n, &ref);
        if (pr == 0) continue;
        if (pr < 0) {
            stats_drop(&r->stats, "bad_repo_line", 1);
            log_warn("%s:%llu: not a repository: %.*s", g->input, (unsigned long long)io_line_number(g->list),
                     (int)(n < 200 ? n : 200), line);
            continue;
        }
        const char *rf = ref.ref ? ref.ref : param_str(r->params, "ref");
        char *url = ref.url ? xstrdup(ref.url)
                            : xasprintf("%s/%s/%s/tar.gz/%s", param_str(r->params, "base_url"), ref.owner,
                                        ref.name, rf);
        sbuf body = SBUF_INIT;
        cd_err fe;
        cd_err_clear(&fe);
        int frc = gh_fetch(url, param_size(r->params, "max_archive_size"), (long)param_int(r->params, "timeout"),
                           (int)param_int(r->params, "retries"), &body, &fe);
        if (frc) {
            stats_drop(&r->stats, "fetch_failed", 1);
            log_warn("%s:%llu: %s", g->input, (unsigned long long)io_line_number(g->list), fe.msg);
        } else {
            gh_files_free(&g->files);
            frc = gh_read_archive_memory(body.data, body.len, &g->lim, 1, &g->files, &r->stats, &fe);
            if (frc) {
                stats_drop(&r->stats, "archive_failed", 1);
                log_warn("%s: %s", url, fe.msg);
            } else {
                char *repo = xasprintf("%s/%s", ref.owner, ref.name);
                g->stars = ref.stars;
                char *sha = gh_archive_commit(NULL, body.data, body.len);
                set_repo(g, repo, rf, sha ? sha : rf);
                free(sha);
                free(repo);
                stats_count(&r->stats, "repos_fetched", 1);
            }
        }
        sbuf_free(&body);
        free(url);
        gh_repo_ref_free(&ref);
        if (!frc) {
            g->next_file = 0;
            g->have_files = 1;
            return 1;
        }
    }
}

static int gh_next(reader *r, doc **out, cd_err *e)
{
    gh_reader *g = r->priv;
    for (;;) {
        if (g->have_files && g->next_file < g->files.len) {
            gh_file *f = &g->files.v[g->next_file++];
            doc *d = doc_new();
            char *id = xasprintf("%s@%s:%s", g->repo, g->commit, f->path);
            doc_set_id(d, id, strlen(id));
            free(id);
            doc_set_text(d, f->data, f->len);
            doc_set_source(d, "github");
            doc_meta_set_str(d, "repo", g->repo);
            doc_meta_set_str(d, "path", f->path);
            doc_meta_set_str(d, "ref", g->ref);
            doc_meta_set_str(d, "commit", g->commit);
            doc_meta_set_int(d, "size", (int64_t)f->len);
            if (g->stars >= 0) doc_meta_set_int(d, "stars", g->stars);
            if (g->files.date > 0) {
                /* ISO 8601 UTC: compares as text, newest last */
                char ds[32];
                time_t t = (time_t)g->files.date;
                struct tm tmv;
                if (gmtime_r(&t, &tmv) && strftime(ds, sizeof ds, "%Y-%m-%dT%H:%M:%SZ", &tmv)) {
                    doc_meta_set_str(d, "date", ds);
                    doc_meta_set_str(d, "date_source", g->kind == SRC_GIT ? "commit" : "archive_mtime");
                }
            }
            const char *lang = gh_language(f->path, f->data, f->len);
            if (lang) doc_meta_set_str(d, "language", lang);
            /* the file's bytes now live in the document */
            free(f->data);
            f->data = NULL;
            if (g->kind != SRC_LIST) r->bytes_read += f->len;
            *out = d;
            return 1;
        }
        if (g->kind != SRC_LIST) return 0;
        int rc = next_repo(r, g, e);
        if (rc <= 0) return rc;
    }
}

static void gh_close(reader *r)
{
    gh_reader *g = r->priv;
    if (!g) return;
    if (g->list) io_close(g->list);
    gh_files_free(&g->files);
    free(g->repo);
    free(g->ref);
    free(g->commit);
    free(g->input);
    free(g);
    r->priv = NULL;
}

static const char *const GH_SUFFIXES[] = {".repos", NULL};

static const reader_ops github_reader_ops = {
    .name = "github",
    .summary = "GitHub repositories: a list of owner/name[@ref] or URLs (downloaded), a local tarball or zip, "
               "or a local git clone",
    .params = GH_READER_PARAMS,
    .suffixes = GH_SUFFIXES,
    .open = gh_open,
    .next = gh_next,
    .close = gh_close,
};
CORPUSD_READER(github_reader_ops)
