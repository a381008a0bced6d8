// --textfile: the Prometheus metrics for node_exporter's textfile
// collector, which reads every *.prom file of its directory at each scrape.
#pragma once

#include <string>

namespace ssmreach {

// Writes `metrics` to `path` as the collector expects: a temporary file in
// the same directory (PATH.XXXXXX, which the collector ignores), renamed
// over `path`, so a scrape never sees half a file. Mode 0644: the exporter
// runs as another user. The directory must exist. False, with `error`
// naming the path and the reason, when it cannot.
bool write_textfile(const std::string& path, const std::string& metrics, std::string* error);

}  // namespace ssmreach
