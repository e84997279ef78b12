#include "prefilter.h"

#include <fcntl.h>
#include <sys/syscall.h>

#include <cstring>

namespace tracer {

bool PathFilter::may_match(const char* path, size_t len, bool writing) const {
  for (const auto& p : patterns_) {
    if (p.write_only && !writing) continue;
    const std::string& v = p.value;
    switch (p.kind) {
      case PK_EXACT:
        if (len == v.size() && std::memcmp(path, v.data(), len) == 0) return true;
        break;
      case PK_PREFIX:
        if (len >= v.size() && std::memcmp(path, v.data(), v.size()) == 0) return true;
        break;
      case PK_SUFFIX:
        if (len >= v.size() && std::memcmp(path + len - v.size(), v.data(), v.size()) == 0) return true;
        break;
      case PK_CONTAINS:
        if (v.empty() || memmem(path, len, v.data(), v.size()) != nullptr) return true;
        break;
    }
  }
  return false;
}

bool is_clean_absolute(const char* path, size_t len) {
  if (len == 0 || path[0] != '/') return false;
  if (len > 1 && path[len - 1] == '/') return false;
  for (size_t i = 0; i < len; i++) {
    if (path[i] == 0) return false;
    if (path[i] != '/') continue;
    // the component after this '/'
    size_t j = i + 1;
    size_t end = j;
    while (end < len && path[end] != '/') end++;
    size_t clen = end - j;
    if (end < len && clen == 0) return false;  // "//"
    if (clen == 1 && path[j] == '.') return false;
    if (clen == 2 && path[j] == '.' && path[j + 1] == '.') return false;
  }
  return true;
}

bool open_cannot_matter(const PathFilterSlot& filter, int nr, const uint64_t* args, const char* path, size_t len) {
  if (!path) return false;
  uint64_t flags = nr == SYS_open ? args[1] : nr == SYS_openat ? args[2] : (uint64_t)(O_CREAT | O_WRONLY | O_TRUNC);
  // A directory fd can be the dirfd of later *at calls, whose paths the
  // state resolves through it: keep those (TAG_DIR0 covers the others).
  if (flags & (O_DIRECTORY | O_PATH)) return false;
  if (!is_clean_absolute(path, len)) return false;
  std::shared_ptr<const PathFilter> f = filter.get();
  uint64_t acc = flags & O_ACCMODE;
  return f && !f->may_match(path, len, acc == O_WRONLY || acc == O_RDWR);
}

}  // namespace tracer
