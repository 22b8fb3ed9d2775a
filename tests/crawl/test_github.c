/* test_github.c: repository ingestion safety (each refusal reason), GitHub
 * tarball prefix stripping, zips, git trees via libgit2, repo list lines
 * and language detection. Archives are written by archive_fixture.c. */
#include "crawl/github.h"
#include "tests/test.h"

#include "tests/crawl/archive_fixture.h"
#include <sys/stat.h>
#ifdef HAVE_LIBGIT2
#include "core/lazy_git2.h"
#endif

static const gh_file *find(const gh_files *f, const char *path)
{
    for (size_t i = 0; i < f->len; i++)
        if (!strcmp(f->v[i].path, path)) return &f->v[i];
    return NULL;
}

TEST(github_archive_refusals_each_have_a_reason)
{
    static char big[5000], bin[64];
    memset(big, 'a', sizeof big);
    memcpy(bin, "ELF\0\0\0binary", 12);
    const arch_entry ents[] = {
        {"repo-abc/", AE_IFDIR, "", 0, 0},
        {"repo-abc/src/ok.c", AE_IFREG, "int x;\n", 0, 0},
        {"repo-abc/../../evil.sh", AE_IFREG, "rm -rf /\n", 0, 0},
        {"/etc/cron.d/evil", AE_IFREG, "* * * * * root sh\n", 0, 0},
        {"repo-abc/out", AE_IFLNK, "../../../etc/passwd", 0, 0},
        {"repo-abc/abs", AE_IFLNK, "/etc/shadow", 0, 0},
        {"repo-abc/src/in", AE_IFLNK, "../README", 0, 0},
        {"repo-abc/dev", AE_IFCHR, "", 0, 0},
        {"repo-abc/big.txt", AE_IFREG, big, sizeof big, 0},
        {"repo-abc/prog.bin", AE_IFREG, bin, sizeof bin, 0},
        {"repo-abc/README", AE_IFREG, "hello\n", 0, 0},
    };
    char *p = write_test_archive("r.tar.gz", 0, ents, sizeof ents / sizeof *ents);
    gh_limits l;
    gh_limits_default(&l);
    l.max_file_size = 4096;
    stage_stats st = {0};
    gh_files f;
    cd_err e;
    CHECK(gh_read_archive_file(p, &l, 1, &f, &st, &e) == 0);
    CHECK_INT_EQ(f.len, 2);
    CHECK(find(&f, "src/ok.c") != NULL);   /* top-level "repo-abc/" stripped */
    CHECK(find(&f, "README") != NULL);
    CHECK_INT_EQ(stats_get_drop(&st, "path_traversal"), 2);
    CHECK_INT_EQ(stats_get_drop(&st, "symlink_outside"), 2);
    CHECK_INT_EQ(stats_get_drop(&st, "symlink"), 1);
    CHECK_INT_EQ(stats_get_drop(&st, "device_file"), 1);
    CHECK_INT_EQ(stats_get_drop(&st, "too_large"), 1);
    CHECK_INT_EQ(stats_get_drop(&st, "binary"), 1);
    gh_files_free(&f);
    stats_free(&st);
    free(p);
}

TEST(github_archive_zip_bomb_refused_whole)
{
    /* 64 files of 64 KiB of zeros-as-text compress to almost nothing; with
     * a 1 MiB expansion limit the archive is refused and nothing comes out. */
    static char blob[65536];
    memset(blob, 'A', sizeof blob);
    arch_entry ents[64];
    char names[64][32];
    for (int i = 0; i < 64; i++) {
        snprintf(names[i], sizeof names[i], "bomb/f%02d.txt", i);
        ents[i] = (arch_entry){names[i], AE_IFREG, blob, sizeof blob, 0};
    }
    char *p = write_test_archive("bomb.zip", 1, ents, 64);
    struct stat sb;
    CHECK(stat(p, &sb) == 0 && sb.st_size < 200000);
    gh_limits l;
    gh_limits_default(&l);
    l.max_total_size = 1 << 20;
    stage_stats st = {0};
    gh_files f;
    cd_err e;
    CHECK(gh_read_archive_file(p, &l, 1, &f, &st, &e) == -1);
    CHECK(strstr(e.msg, "refused") != NULL);
    CHECK_INT_EQ(f.len, 0);
    CHECK_INT_EQ(stats_get_drop(&st, "expansion_limit"), 1);
    /* the same archive passes under a larger limit, as a zip */
    stats_free(&st);
    memset(&st, 0, sizeof st);
    l.max_total_size = 8 << 20;
    CHECK(gh_read_archive_file(p, &l, 1, &f, &st, &e) == 0);
    CHECK_INT_EQ(f.len, 64);
    CHECK(find(&f, "f07.txt") != NULL);
    gh_files_free(&f);
    stats_free(&st);
    /* too many entries is the same refusal */
    l.max_files = 10;
    memset(&st, 0, sizeof st);
    CHECK(gh_read_archive_file(p, &l, 1, &f, &st, &e) == -1);
    CHECK_INT_EQ(stats_get_drop(&st, "expansion_limit"), 1);
    stats_free(&st);
    free(p);
}

TEST(github_archive_garbage_is_an_error_not_a_crash)
{
    char *p = xasprintf("%s/junk.tar.gz", test_tmpdir());
    FILE *fp = fopen(p, "wb");
    fputs("\x1f\x8b\x08\x00garbage that is not gzip at all", fp);
    fclose(fp);
    gh_limits l;
    gh_limits_default(&l);
    stage_stats st = {0};
    gh_files f;
    cd_err e;
    CHECK(gh_read_archive_file(p, &l, 1, &f, &st, &e) == -1);
    CHECK(e.msg[0] != 0);
    stats_free(&st);
    free(p);
}

TEST(github_binary_detection)
{
    CHECK(gh_is_binary("a\0b", 3, 0.3));
    CHECK(!gh_is_binary("plain text\n\twith tabs\n", 22, 0.3));
    CHECK(gh_is_binary("\x01\x02\x03\x04x", 5, 0.3));
    CHECK(!gh_is_binary("caf\xc3\xa9 \xe2\x82\xac\n", 10, 0.3));   /* UTF-8 is text */
}

TEST(github_repo_list_lines)
{
    gh_repo_ref r;
    CHECK_INT_EQ(gh_parse_repo_line("torvalds/linux@v6.1", 19, &r), 1);
    CHECK_STR_EQ(r.owner, "torvalds");
    CHECK_STR_EQ(r.name, "linux");
    CHECK_STR_EQ(r.ref, "v6.1");
    gh_repo_ref_free(&r);
    const char *u = "https://github.com/curl/curl/tree/curl-8_5_0  1234";
    CHECK_INT_EQ(gh_parse_repo_line(u, strlen(u), &r), 1);
    CHECK_STR_EQ(r.name, "curl");
    CHECK_STR_EQ(r.ref, "curl-8_5_0");
    CHECK_INT_EQ(r.stars, 1234);
    gh_repo_ref_free(&r);
    CHECK_INT_EQ(gh_parse_repo_line("a/b", 3, &r), 1);
    CHECK_INT_EQ(r.stars, -1);
    gh_repo_ref_free(&r);
    CHECK_INT_EQ(gh_parse_repo_line("# comment", 9, &r), 0);
    CHECK_INT_EQ(gh_parse_repo_line("   ", 3, &r), 0);
    CHECK_INT_EQ(gh_parse_repo_line("../../etc/passwd", 16, &r), -1);
    CHECK_INT_EQ(gh_parse_repo_line("noslash", 7, &r), -1);
    CHECK_INT_EQ(gh_parse_repo_line("a/b@", 4, &r), -1);
}

TEST(github_language_detection)
{
    CHECK_STR_EQ(gh_language("src/x.c", "int x;", 6), "C");
    CHECK_STR_EQ(gh_language("Makefile", "all:\n", 5), "Makefile");
    const char *sb = "#!/usr/bin/env python3.11\nprint()\n";
    CHECK_STR_EQ(gh_language("bin/tool", sb, strlen(sb)), "Python");
    const char *sh = "#!/bin/bash\necho\n";
    CHECK_STR_EQ(gh_language("run", sh, strlen(sh)), "Shell");
    const char *vim = "x = 1\n# vim: set ft=ruby :\n";
    CHECK_STR_EQ(gh_language("conf", vim, strlen(vim)), "Ruby");
    const char *emacs = ";; -*- mode: emacs-lisp -*-\n";
    CHECK_STR_EQ(gh_language("init", emacs, strlen(emacs)), "Emacs Lisp");
    CHECK(gh_language("data.unknownext", "x", 1) == NULL);
}

#ifdef HAVE_LIBGIT2
static void must(int rc)
{
    if (rc) test_fail(__FILE__, __LINE__, "libgit2: %s", git_error_last() ? git_error_last()->message : "?");
}

TEST(github_git_tree_at_ref_without_checkout)
{
    git_libgit2_init();
    char *dir = xasprintf("%s/repo.git", test_tmpdir());
    git_repository *repo;
    must(git_repository_init(&repo, dir, 1));   /* bare: there is no work tree at all */
    git_oid a, b, link, bad, tree_oid, sub_oid, c1, c2;
    must(git_blob_create_from_buffer(&a, repo, "v1\n", 3));
    must(git_blob_create_from_buffer(&b, repo, "int main(void) { return 0; }\n", 29));
    must(git_blob_create_from_buffer(&link, repo, "../../../etc/passwd", 19));
    must(git_blob_create_from_buffer(&bad, repo, "\0\1\2", 3));
    git_treebuilder *tb;
    must(git_treebuilder_new(&tb, repo, NULL));
    must(git_treebuilder_insert(NULL, tb, "main.c", &b, GIT_FILEMODE_BLOB));
    must(git_treebuilder_write(&sub_oid, tb));
    git_treebuilder_free(tb);
    must(git_treebuilder_new(&tb, repo, NULL));
    must(git_treebuilder_insert(NULL, tb, "README", &a, GIT_FILEMODE_BLOB));
    must(git_treebuilder_insert(NULL, tb, "src", &sub_oid, GIT_FILEMODE_TREE));
    must(git_treebuilder_insert(NULL, tb, "escape", &link, GIT_FILEMODE_LINK));
    must(git_treebuilder_insert(NULL, tb, "blob.bin", &bad, GIT_FILEMODE_BLOB));
    must(git_treebuilder_write(&tree_oid, tb));
    git_treebuilder_free(tb);
    git_tree *tree;
    must(git_tree_lookup(&tree, repo, &tree_oid));
    git_signature *sig;
    must(git_signature_new(&sig, "t", "t@example.org", 1700000000, 0));
    must(git_commit_create(&c1, repo, "refs/heads/main", sig, sig, NULL, "one", tree, 0, NULL));
    git_commit *parent;
    must(git_commit_lookup(&parent, repo, &c1));
    must(git_commit_create(&c2, repo, "refs/heads/main", sig, sig, NULL, "two", tree, 1,
                           (const git_commit **)&parent));
    must(git_reference_create(NULL, repo, "refs/tags/v1", &c1, 0, "tag"));
    git_commit_free(parent);
    git_signature_free(sig);
    git_tree_free(tree);
    git_repository_free(repo);
    git_libgit2_shutdown();

    gh_limits l;
    gh_limits_default(&l);
    stage_stats st = {0};
    gh_files f;
    cd_err e;
    CHECK(gh_read_git(dir, "v1", &l, &f, &st, &e) == 0);
    char sha[GIT_OID_HEXSZ + 1];
    git_oid_tostr(sha, sizeof sha, &c1);
    CHECK_STR_EQ(f.commit, sha);
    CHECK_INT_EQ(f.len, 2);
    CHECK(find(&f, "src/main.c") != NULL);
    CHECK(find(&f, "README") != NULL);
    CHECK_INT_EQ(stats_get_drop(&st, "symlink_outside"), 1);
    CHECK_INT_EQ(stats_get_drop(&st, "binary"), 1);
    gh_files_free(&f);
    CHECK(gh_read_git(dir, "no-such-ref", &l, &f, &st, &e) == -1);
    stats_free(&st);
    free(dir);
}
#endif
