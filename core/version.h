/* version.h: corpusd's version, written into manifests and logs. */
#ifndef CORPUSD_CORE_VERSION_H
#define CORPUSD_CORE_VERSION_H
#define CORPUSD_VERSION "0.1.0"
#endif
