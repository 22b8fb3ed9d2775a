/*
 * cclist.h: CommonCrawl's listings. collinfo.json names the snapshots
 * ({"id": "CC-MAIN-2025-26", "name": ...}); BASE/crawl-data/ID/TYPE.paths.gz
 * lists a snapshot's files (TYPE = warc, wet or wat), one path per line,
 * relative to BASE. The base URL is configurable, which is how tests (and
 * mirrors) point corpusd at a local server laid out like CommonCrawl.
 * Functions are reentrant; results are malloc'd string arrays.
 */
#ifndef CORPUSD_CRAWL_CCLIST_H
#define CORPUSD_CRAWL_CCLIST_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

#define CC_DATA_BASE "https://data.commoncrawl.org"
#define CC_INDEX_COLLINFO "https://index.commoncrawl.org/collinfo.json"

/* Snapshots from BASE/collinfo.json (base NULL: CommonCrawl's index). */
int cc_snapshots(const char *base, char ***ids, char ***names, size_t *n, cd_err *e);
/* A snapshot's file URLs (base NULL: CommonCrawl's data server); limit 0 = all. */
int cc_snapshot_urls(const char *base, const char *snapshot, const char *type, uint64_t limit, char ***urls,
                     size_t *n, cd_err *e);
/* BASE + "/" + REL with single slashes. */
char *cc_join_url(const char *base, const char *rel);

#endif
