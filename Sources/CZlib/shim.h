// zlib, for gzip-compressed sync bundles (`sync export --compress`).
#include <zlib.h>
