/*
 * lazy_git2.h: libgit2, loaded with dlopen on first use (see core/lazylib.c).
 * Include this instead of the library's own header: each function used
 * below is a macro for a pointer in a table that cd_git2() fills on its first
 * call (thread-safe), so subcommands that never use libgit2 do not pay for
 * loading it and its dependencies at start-up. A function not listed here
 * is a link error (the library is not linked), never a silent direct call.
 */
#ifndef CORPUSD_CORE_LAZY_GIT2_H
#define CORPUSD_CORE_LAZY_GIT2_H

#include <git2.h>

#define CD_GIT2_FUNCS(X) \
    X(git_blob_create_from_buffer) \
    X(git_blob_free) \
    X(git_blob_lookup) \
    X(git_blob_rawcontent) \
    X(git_blob_rawsize) \
    X(git_commit_create) \
    X(git_commit_free) \
    X(git_commit_id) \
    X(git_commit_lookup) \
    X(git_commit_time) \
    X(git_commit_tree) \
    X(git_error_last) \
    X(git_libgit2_init) \
    X(git_libgit2_shutdown) \
    X(git_object_free) \
    X(git_object_peel) \
    X(git_oid_tostr) \
    X(git_reference_create) \
    X(git_repository_free) \
    X(git_repository_init) \
    X(git_repository_open_ext) \
    X(git_revparse_single) \
    X(git_signature_free) \
    X(git_signature_new) \
    X(git_tree_entry_filemode) \
    X(git_tree_entry_id) \
    X(git_tree_entry_name) \
    X(git_tree_free) \
    X(git_tree_lookup) \
    X(git_tree_walk) \
    X(git_treebuilder_free) \
    X(git_treebuilder_insert) \
    X(git_treebuilder_new) \
    X(git_treebuilder_write)

typedef struct cd_git2_api {
#define CD_X(f) __typeof__(f) *f;
    CD_GIT2_FUNCS(CD_X)
#undef CD_X
} cd_git2_api;

/* The table; loads libgit2 on the first call and exits with a message
 * naming the Debian package when it cannot. */
const cd_git2_api *cd_git2(void);

#ifndef CD_LAZY_IMPL
#undef git_blob_create_from_buffer
#define git_blob_create_from_buffer (cd_git2()->git_blob_create_from_buffer)
#undef git_blob_free
#define git_blob_free               (cd_git2()->git_blob_free)
#undef git_blob_lookup
#define git_blob_lookup             (cd_git2()->git_blob_lookup)
#undef git_blob_rawcontent
#define git_blob_rawcontent         (cd_git2()->git_blob_rawcontent)
#undef git_blob_rawsize
#define git_blob_rawsize            (cd_git2()->git_blob_rawsize)
#undef git_commit_create
#define git_commit_create           (cd_git2()->git_commit_create)
#undef git_commit_free
#define git_commit_free             (cd_git2()->git_commit_free)
#undef git_commit_id
#define git_commit_id               (cd_git2()->git_commit_id)
#undef git_commit_lookup
#define git_commit_lookup           (cd_git2()->git_commit_lookup)
#undef git_commit_time
#define git_commit_time             (cd_git2()->git_commit_time)
#undef git_commit_tree
#define git_commit_tree             (cd_git2()->git_commit_tree)
#undef git_error_last
#define git_error_last              (cd_git2()->git_error_last)
#undef git_libgit2_init
#define git_libgit2_init            (cd_git2()->git_libgit2_init)
#undef git_libgit2_shutdown
#define git_libgit2_shutdown        (cd_git2()->git_libgit2_shutdown)
#undef git_object_free
#define git_object_free             (cd_git2()->git_object_free)
#undef git_object_peel
#define git_object_peel             (cd_git2()->git_object_peel)
#undef git_oid_tostr
#define git_oid_tostr               (cd_git2()->git_oid_tostr)
#undef git_reference_create
#define git_reference_create        (cd_git2()->git_reference_create)
#undef git_repository_free
#define git_repository_free         (cd_git2()->git_repository_free)
#undef git_repository_init
#define git_repository_init         (cd_git2()->git_repository_init)
#undef git_repository_open_ext
#define git_repository_open_ext     (cd_git2()->git_repository_open_ext)
#undef git_revparse_single
#define git_revparse_single         (cd_git2()->git_revparse_single)
#undef git_signature_free
#define git_signature_free          (cd_git2()->git_signature_free)
#undef git_signature_new
#define git_signature_new           (cd_git2()->git_signature_new)
#undef git_tree_entry_filemode
#define git_tree_entry_filemode     (cd_git2()->git_tree_entry_filemode)
#undef git_tree_entry_id
#define git_tree_entry_id           (cd_git2()->git_tree_entry_id)
#undef git_tree_entry_name
#define git_tree_entry_name         (cd_git2()->git_tree_entry_name)
#undef git_tree_free
#define git_tree_free               (cd_git2()->git_tree_free)
#undef git_tree_lookup
#define git_tree_lookup             (cd_git2()->git_tree_lookup)
#undef git_tree_walk
#define git_tree_walk               (cd_git2()->git_tree_walk)
#undef git_treebuilder_free
#define git_treebuilder_free        (cd_git2()->git_treebuilder_free)
#undef git_treebuilder_insert
#define git_treebuilder_insert      (cd_git2()->git_treebuilder_insert)
#undef git_treebuilder_new
#define git_treebuilder_new         (cd_git2()->git_treebuilder_new)
#undef git_treebuilder_write
#define git_treebuilder_write       (cd_git2()->git_treebuilder_write)
#endif

#endif
