// Single-producer single-consumer byte ring for event records, in memory the
// supervisor (producer: the trace loop) and the analysis process (consumer)
// share (native/shared.h). The producer never waits unless backpressure is
// on: when a record does not fit it is dropped and counted.
//
// The consumer reads from a private cursor and releases what it has
// processed: records a crashed consumer had read but not released are read
// again by the next one (at-least-once across analysis restarts).
#pragma once
#include <atomic>
#include <cstdint>
#include <cstring>

namespace tracer {

// The indices, in shared memory (each on its own cache line).
struct RingIndex {
  alignas(64) std::atomic<uint64_t> head{0};   // written by the producer
  alignas(64) std::atomic<uint64_t> tail{0};   // released by the consumer
  alignas(64) std::atomic<uint32_t> armed{0};  // the consumer sleeps: ring the doorbell at the next commit
};

class Ring {
 public:
  Ring(RingIndex* idx, uint8_t* buf, size_t cap) : idx_(idx), buf_(buf), cap_(cap) {}
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  size_t capacity() const { return cap_; }

  // Producer: reserve `len` contiguous bytes (len % 8 == 0). Records never
  // wrap: when the tail of the buffer is too short, a pad record (first u32 =
  // its size, second u32 = 0) fills it and the record starts at offset 0.
  uint8_t* reserve(size_t len) {
    uint64_t head = idx_->head.load(std::memory_order_relaxed);
    uint64_t tail = idx_->tail.load(std::memory_order_acquire);
    size_t off = head & (cap_ - 1);
    size_t to_end = cap_ - off;
    size_t need = len + (to_end < len ? to_end : 0);
    if (cap_ - (head - tail) < need) return nullptr;
    if (to_end < len) {
      uint32_t pad[2] = {(uint32_t)to_end, 0};
      std::memcpy(buf_ + off, pad, sizeof pad);
      pending_pad_ = to_end;
      off = 0;
    } else {
      pending_pad_ = 0;
    }
    return buf_ + off;
  }
  // Publishes the reserved record; true when the consumer asked to be woken.
  bool commit(size_t len) {
    idx_->head.store(idx_->head.load(std::memory_order_relaxed) + pending_pad_ + len, std::memory_order_seq_cst);
    return idx_->armed.load(std::memory_order_seq_cst) && idx_->armed.exchange(0) == 1;
  }

  // Consumer: copies whole records from `cursor` (at most `max` bytes) into
  // `out` and advances the cursor; pad records are skipped. Nothing is
  // released until release().
  size_t read(uint64_t& cursor, uint8_t* out, size_t max) const {
    uint64_t head = idx_->head.load(std::memory_order_acquire);
    size_t n = 0;
    while (cursor < head) {
      size_t off = cursor & (cap_ - 1);
      uint32_t size, kind;
      std::memcpy(&size, buf_ + off, 4);
      std::memcpy(&kind, buf_ + off + 4, 4);
      if ((kind & 0xffff) == 0) {  // pad
        cursor += size;
        continue;
      }
      if (n + size > max) break;
      std::memcpy(out + n, buf_ + off, size);
      n += size;
      cursor += size;
    }
    return n;
  }
  void release(uint64_t cursor) { idx_->tail.store(cursor, std::memory_order_release); }
  // Consumer going to sleep: true when records arrived meanwhile (read again).
  bool arm(uint64_t cursor) {
    idx_->armed.store(1, std::memory_order_seq_cst);
    return idx_->head.load(std::memory_order_seq_cst) != cursor;
  }
  uint64_t tail() const { return idx_->tail.load(std::memory_order_acquire); }
  size_t used() const { return idx_->head.load(std::memory_order_acquire) - idx_->tail.load(std::memory_order_acquire); }

 private:
  RingIndex* idx_;
  uint8_t* buf_;
  size_t cap_;
  size_t pending_pad_ = 0;
};

}  // namespace tracer
