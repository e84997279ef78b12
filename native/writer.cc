// Writing records to the shared ring (see writer.h).
#include "writer.h"

#include <unistd.h>

#include <cstring>

#include "record.h"
#include "tracer.h"

namespace tracer {

void RecordWriter::wake() {
  // A full pipe means a wake-up is already pending, so a failed
  // (non-blocking) write loses nothing.
  ssize_t ignored = write(doorbell_, "d", 1);
  (void)ignored;
}

void RecordWriter::emit(uint16_t kind, int pid, int tid, int nr, uint32_t flags, int64_t ret, const uint64_t* args,
                        const std::vector<uint8_t>* items, uint64_t ts) {
  size_t items_len = items ? items->size() : 0;
  size_t size = sizeof(RecHdr) + items_len;
  uint8_t* p = nullptr;
  if (lost_) {
    // Space again after drops: say how many first, so the analysis can
    // report the gap where it happened (a "syscall event drop" alert).
    uint8_t* lp = ring_.reserve(sizeof(RecHdr));
    if (!lp) {
      lost_++;
      stats_.dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    RecHdr lh;
    std::memset(&lh, 0, sizeof lh);
    lh.size = sizeof lh;
    lh.kind = K_LOST;
    lh.pid = lh.tid = pid;
    lh.ts = now_ns();
    lh.nr = -1;
    lh.args[0] = lost_;
    std::memcpy(lp, &lh, sizeof lh);
    if (ring_.commit(sizeof lh)) wake();
    lost_ = 0;
  }
  if (!reserve_wait(size, &p)) {
    lost_++;
    stats_.dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  RecHdr h;
  h.size = (uint32_t)size;
  h.kind = kind;
  h.nitems = items ? (uint16_t)count_items(*items) : 0;
  h.pid = pid;
  h.tid = tid;
  h.ts = ts ? ts : now_ns();
  h.nr = nr;
  h.flags = flags;
  h.ret = ret;
  if (args)
    std::memcpy(h.args, args, sizeof h.args);
  else
    std::memset(h.args, 0, sizeof h.args);
  std::memcpy(p, &h, sizeof h);
  if (items_len) std::memcpy(p + sizeof h, items->data(), items_len);
  // The consumer sleeps on the doorbell once it found the ring empty.
  if (ring_.commit(size)) wake();
  stats_.records.fetch_add(1, std::memory_order_relaxed);
}

// Space for a record. Without backpressure: now or never. With it
// (SYSDIG_PRIORITY=security), the loop, and so the stopped task, waits for
// the analysis to free space: the workload slows down instead of escaping
// detection. The supervisor's timed work (restarting a dead analysis) goes
// on meanwhile. A record larger than the ring never fits: dropped.
bool RecordWriter::reserve_wait(size_t size, uint8_t** p) {
  *p = ring_.reserve(size);
  if (*p || !backpressure_ || size > ring_.capacity() / 2) return *p != nullptr;
  uint64_t t0 = now_ns();
  while (!(*p = ring_.reserve(size))) {
    wake();  // make sure the consumer is awake
    hooks_.tick();
    struct timespec ts = {0, 200 * 1000};
    nanosleep(&ts, nullptr);
  }
  stats_.backpressure_ns.fetch_add(now_ns() - t0, std::memory_order_relaxed);
  return true;
}

void RecordWriter::notice(uint32_t code, int pid, uint64_t arg1, const char* text) {
  uint64_t args[6] = {code, arg1, 0, 0, 0, 0};
  text_.clear();
  if (text) put_item(text_, TAG_TEXT, text, (uint32_t)std::strlen(text));
  emit(K_NOTICE, pid, pid, -1, 0, 0, args, &text_);
}

}  // namespace tracer
