// The open pre-filter: a necessary condition on an opened path, compiled
// from the rules (src/rules/prefilter.ts). At an open's entry stop the tracer
// asks it whether the open can matter to any rule; when it cannot, the task
// is resumed without the exit stop and no record is made. Patterns are a
// superset of what the rules match (a glob becomes its literal prefix...), so
// a wrong answer can only cost a stop, never an event.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tracer {

enum PatternKind : int { PK_EXACT = 0, PK_PREFIX = 1, PK_SUFFIX = 2, PK_CONTAINS = 3 };

struct PathPattern {
  PatternKind kind;
  std::string value;
  bool write_only = false;  // matches only opens for writing (O_WRONLY, O_RDWR, creat)
};

class PathFilter {
 public:
  explicit PathFilter(std::vector<PathPattern> p) : patterns_(std::move(p)) {}
  // True when a rule may care about an open of `path` (absolute, normalised);
  // writing: the open's access mode is O_WRONLY or O_RDWR.
  bool may_match(const char* path, size_t len, bool writing) const;

 private:
  std::vector<PathPattern> patterns_;
};

// An absolute path that names itself: what the state would compute as fd.name
// (no "//", "." or ".." components, no trailing '/'), so the patterns see the
// same string the rules would.
bool is_clean_absolute(const char* path, size_t len);

// The filter in force, swapped whole when the rules change (JavaScript
// thread) and read at open stops (tracer thread). Null: every open matters.
class PathFilterSlot {
 public:
  void set(std::shared_ptr<const PathFilter> f) {
    std::lock_guard<std::mutex> g(mu_);
    f_ = std::move(f);
  }
  std::shared_ptr<const PathFilter> get() const {
    std::lock_guard<std::mutex> g(mu_);
    return f_;
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const PathFilter> f_;
};

// The check at an open's entry stop (SF_OPEN: open, openat, creat): true
// when no rule can match this open nor ask about its fd later. `path` is the
// path argument as the entry capture read it whole (null when it did not:
// unreadable or truncated); false whenever unsure.
bool open_cannot_matter(const PathFilterSlot& filter, int nr, const uint64_t* args, const char* path, size_t len);

}  // namespace tracer
