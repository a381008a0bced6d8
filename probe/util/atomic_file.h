// Replacing a file atomically: a reader sees the old file or the whole new
// one, never a half-written one, also after a crash.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace ssmreach {

// Writes `text` to a new file PATH.XXXXXX (random, made with O_EXCL, so a
// symlink planted beside PATH is never followed; PATH's name is cut when
// the suffix would pass NAME_MAX), syncs it and renames it over `path`,
// which must be a regular file or not exist: a device, FIFO, socket,
// directory or symbolic link there is never replaced. With
// `exact_mode` the file gets that mode whatever the umask; without, 0666
// less the umask. False, with `error` as "FILE: reason", when it cannot; the
// temporary file is removed then.
bool write_file_atomically(const std::string& path, const std::string& text,
                           std::optional<mode_t> exact_mode, std::string* error);

}  // namespace ssmreach
