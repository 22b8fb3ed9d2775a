/*
 * github.h: GitHub repository ingestion: repository lists, tarball
 * downloads (codeload-style URLs), local tarballs and zips (libarchive),
 * local git clones (libgit2, the tree at a ref without a checkout), safety
 * refusals, and Linguist-like language detection.
 *
 * Each regular text file of a repository becomes one document
 *   id       <owner>/<repo>@<commit>:<path>   (commit: the sha from libgit2
 *            or from a GitHub tarball's pax header, else the ref)
 *   source   "github"
 *   metadata repo, path, ref, commit, size, language, stars (from the list)
 * Refused entries are never documents; each is counted under its reason:
 *   path_traversal   absolute path or a ".." component
 *   symlink_outside  a symbolic (or hard) link leaving the repository
 *   symlink          a link inside it (its target is ingested itself)
 *   device_file      character/block device, FIFO or socket
 *   too_large        a file over max_file_size
 *   expansion_limit  the archive expands past max_total_size, or has more
 *                    than max_files entries: the whole archive is refused
 *   binary           NUL bytes in the first 8000 bytes (git's rule) or more
 *                    than max_nontext of control bytes
 * All functions are reentrant; a gh_archive belongs to one thread.
 */
#ifndef CORPUSD_CRAWL_GITHUB_H
#define CORPUSD_CRAWL_GITHUB_H

#include <stddef.h>
#include <stdint.h>

#include "core/stage.h"
#include "core/util.h"

typedef struct gh_limits {
    int64_t max_file_size;     /* bytes */
    int64_t max_total_size;    /* bytes, sum of regular files read */
    int64_t max_files;         /* entries */
    double max_nontext;        /* fraction of control bytes */
} gh_limits;

void gh_limits_default(gh_limits *l);

/* One line of a repository list: "owner/name[@ref]", a github.com URL
 * (https://github.com/owner/name[/tree/ref]) or a URL of an archive.
 * Returns 1 when parsed, 0 for blank/comment lines, -1 on a bad line. */
typedef struct gh_repo_ref {
    char *owner, *name, *ref;  /* ref may be NULL (then "HEAD") */
    char *url;                 /* direct archive URL, or NULL */
    int64_t stars;             /* second field of the line, -1 when absent */
} gh_repo_ref;
int gh_parse_repo_line(const char *line, size_t n, gh_repo_ref *out);
void gh_repo_ref_free(gh_repo_ref *r);

/* A file accepted from an archive or tree. */
typedef struct gh_file {
    char *path;                /* relative, '/'-separated, no leading "./" */
    char *data;
    size_t len;
} gh_file;

typedef struct gh_files {
    gh_file *v;
    size_t len, cap;
    char *commit;              /* when known (libgit2), else NULL */
    int64_t date;              /* unix seconds: the commit's committer time
                                * (libgit2), else the newest regular-file
                                * mtime of the archive (a GitHub tarball
                                * stamps every entry with the commit time);
                                * -1 when unknown */
} gh_files;

void gh_files_free(gh_files *f);

/* Reads every file of an archive (tar in any compression libarchive
 * knows, or zip), from a path or from memory, applying the limits. Refused
 * entries are counted into stats (drops). strip: 1 = drop the single
 * top-level directory when every entry has it (GitHub tarballs), 0 = keep.
 * Returns 0, or -1 when the archive is unreadable or refused as a whole
 * (e says why; expansion_limit is also counted). */
int gh_read_archive_file(const char *path, const gh_limits *l, int strip, gh_files *out, stage_stats *stats,
                         cd_err *e);
int gh_read_archive_memory(const void *buf, size_t n, const gh_limits *l, int strip, gh_files *out,
                           stage_stats *stats, cd_err *e);
/* The tree of a local git repository at ref (a branch, tag or sha; NULL =
 * HEAD), without a checkout. out->commit is set to the commit's sha. */
int gh_read_git(const char *repo_path, const char *ref, const gh_limits *l, gh_files *out, stage_stats *stats,
                cd_err *e);

/* The commit id GitHub (git archive) writes into a tarball's pax global
 * header, from a file (path) or memory (buf, n); malloc'd, or NULL. */
char *gh_archive_commit(const char *path, const void *buf, size_t n);

/* Downloads url into memory, at most max_bytes; retries 5xx and dropped
 * connections `retries` times. Returns 0 or -1 (e names the URL and status). */
int gh_fetch(const char *url, int64_t max_bytes, long timeout_s, int retries, sbuf *out, cd_err *e);

/* Linguist-like detection from the file name, extension, shebang and
 * modelines (vim `ft=`/`filetype=`, emacs `-*- mode: X -*-`). Returns a
 * static language name or NULL. */
const char *gh_language(const char *path, const char *text, size_t n);
/* Linguist-like content heuristics for an extension that several languages
 * share (.h, .m, .pl, .ts, .pro, .v, .fs, .cl, .d; see github_heuristics.c):
 * the language the text shows, or NULL when ext is not ambiguous. */
const char *gh_disambiguate(const char *ext, const char *text, size_t n);
int gh_is_ambiguous_ext(const char *ext);

/* 1 when the bytes look binary (git's NUL rule, then the control ratio). */
int gh_is_binary(const char *data, size_t n, double max_nontext);

#endif
