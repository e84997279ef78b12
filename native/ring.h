// Single-producer single-consumer byte ring for event records: the tracer
// thread writes, the JavaScript thread drains. The producer never waits: when
// a record does not fit it is dropped and counted.
#pragma once
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace tracer {

class Ring {
 public:
  explicit Ring(size_t bytes) {
    size_t cap = 1;
    while (cap < bytes) cap <<= 1;
    cap_ = cap;
    buf_ = static_cast<uint8_t*>(std::calloc(cap_, 1));
  }
  ~Ring() { std::free(buf_); }
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  bool ok() const { return buf_ != nullptr; }
  size_t capacity() const { return cap_; }

  // Producer: reserve `len` contiguous bytes (len % 8 == 0). Records never
  // wrap: when the tail of the buffer is too short, a pad record (first u32 =
  // its size, second u32 = 0) fills it and the record starts at offset 0.
  uint8_t* reserve(size_t len) {
    uint64_t head = head_.load(std::memory_order_relaxed);
    uint64_t tail = tail_.load(std::memory_order_acquire);
    size_t off = head & (cap_ - 1);
    size_t to_end = cap_ - off;
    size_t need = len + (to_end < len ? to_end : 0);
    if (cap_ - (head - tail) < need) return nullptr;
    if (to_end < len) {
      // pad to the end
      uint32_t pad[2] = {(uint32_t)to_end, 0};
      std::memcpy(buf_ + off, pad, sizeof pad);
      pending_pad_ = to_end;
      off = 0;
    } else {
      pending_pad_ = 0;
    }
    return buf_ + off;
  }
  void commit(size_t len) {
    head_.store(head_.load(std::memory_order_relaxed) + pending_pad_ + len, std::memory_order_release);
  }

  // Consumer: copies up to `max` bytes of whole records into `out`; returns
  // the number of bytes copied (pad records are skipped).
  size_t drain(uint8_t* out, size_t max) {
    uint64_t tail = tail_.load(std::memory_order_relaxed);
    uint64_t head = head_.load(std::memory_order_acquire);
    size_t n = 0;
    while (tail < head) {
      size_t off = tail & (cap_ - 1);
      uint32_t size, kind;
      std::memcpy(&size, buf_ + off, 4);
      std::memcpy(&kind, buf_ + off + 4, 4);
      if ((kind & 0xffff) == 0) {  // pad
        tail += size;
        continue;
      }
      if (n + size > max) break;
      std::memcpy(out + n, buf_ + off, size);
      n += size;
      tail += size;
    }
    tail_.store(tail, std::memory_order_release);
    return n;
  }
  bool empty() const {
    return tail_.load(std::memory_order_acquire) == head_.load(std::memory_order_acquire);
  }
  size_t used() const { return head_.load(std::memory_order_acquire) - tail_.load(std::memory_order_acquire); }

 private:
  uint8_t* buf_ = nullptr;
  size_t cap_ = 0;
  size_t pending_pad_ = 0;
  alignas(64) std::atomic<uint64_t> head_{0};
  alignas(64) std::atomic<uint64_t> tail_{0};
};

}  // namespace tracer
