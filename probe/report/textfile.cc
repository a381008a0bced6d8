#include "probe/report/textfile.h"

#include "probe/util/atomic_file.h"

namespace ssmreach {

bool write_textfile(const std::string& path, const std::string& metrics, std::string* error) {
  return write_file_atomically(path, metrics, 0644, error);
}

}  // namespace ssmreach
