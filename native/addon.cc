// N-API boundary of the analysis process: its side of the shared ring and of
// the supervisor's control channel (native/supervisor.cc), plus the tracer's
// tables for the rules side. Typed by src/tracer/native.ts.
#include <napi.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>
#include <thread>

#include "prefilter.h"
#include "record.h"
#include "seccomp.h"
#include "secrets.h"
#include "shared.h"
#include "syscalls.h"

namespace {

tracer::Shared* g_shm = nullptr;
tracer::Ring* g_ring = nullptr;
uint64_t g_cursor = 0;  // read position; released to the producer by commit()
int g_control = -1;
Napi::ThreadSafeFunction g_tsfn;

// Calls the JavaScript callback, tolerating an environment that is shutting
// down (a notification may still be queued when the process exits).
void CallJs(Napi::Env env, Napi::Function cb) {
  if (env == nullptr || cb.IsEmpty()) return;
  napi_value result;
  napi_call_function(env, env.Undefined(), cb, 0, nullptr, &result);
}

// attach(ringFd, doorbellFd, controlFd, onData): maps the ring the supervisor
// made and wakes onData whenever the doorbell rings. Returns false if the fd
// is not such a ring.
Napi::Value Attach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[3].IsFunction()) {
    Napi::TypeError::New(env, "attach(ringFd, doorbellFd, controlFd, onData)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (g_shm) return Napi::Boolean::New(env, true);
  int ring_fd = info[0].As<Napi::Number>().Int32Value();
  int doorbell = info[1].As<Napi::Number>().Int32Value();
  g_control = info[2].As<Napi::Number>().Int32Value();
  // The access key lives in this process: not for the workload to read.
  prctl(PR_SET_DUMPABLE, 0);
  struct stat st;
  if (fstat(ring_fd, &st) != 0 || (size_t)st.st_size < tracer::kSharedHeaderBytes) return Napi::Boolean::New(env, false);
  void* p = mmap(nullptr, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, ring_fd, 0);
  if (p == MAP_FAILED) return Napi::Boolean::New(env, false);
  auto* shm = static_cast<tracer::Shared*>(p);
  if (shm->magic != tracer::kSharedMagic || shm->version != tracer::kSharedVersion) return Napi::Boolean::New(env, false);
  g_shm = shm;
  g_cursor = g_shm->ring.tail.load();
  g_tsfn = Napi::ThreadSafeFunction::New(env, info[3].As<Napi::Function>(), "ring-doorbell", 0, 1);
  std::thread([doorbell] {
    char buf[256];
    struct pollfd pf = {doorbell, POLLIN, 0};
    for (;;) {
      if (poll(&pf, 1, -1) < 0 && errno != EINTR) return;
      while (read(doorbell, buf, sizeof buf) > 0) {
      }
      g_tsfn.NonBlockingCall(CallJs);
    }
  }).detach();
  return Napi::Boolean::New(env, true);
}

// The ring as the supervisor sized it (it may size it after we attached,
// before the workload's first record).
tracer::Ring& ring() {
  if (!g_ring || g_ring->capacity() != g_shm->capacity) {
    delete g_ring;
    g_ring = new tracer::Ring(&g_shm->ring, reinterpret_cast<uint8_t*>(g_shm) + g_shm->header_bytes, g_shm->capacity);
  }
  return *g_ring;
}

// drain(maxBytes): a Buffer of whole records after the read position, or null
// when there are none (the doorbell is then armed).
Napi::Value Drain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!g_shm || g_shm->capacity == 0) return env.Null();
  size_t max = 1u << 20;
  if (info.Length() > 0 && info[0].IsNumber()) max = (size_t)info[0].As<Napi::Number>().Int64Value();
  // A fresh buffer per call: a reused scratch buffer measured slower
  // (docs/BENCHMARKS.md, "Levers"). Measure before changing.
  std::vector<uint8_t> tmp(max);
  tracer::Ring& r = ring();
  size_t n = r.read(g_cursor, tmp.data(), max);
  if (n == 0) {
    if (!r.arm(g_cursor)) return env.Null();
    n = r.read(g_cursor, tmp.data(), max);
    if (n == 0) return env.Null();
  }
  return Napi::Buffer<uint8_t>::Copy(env, tmp.data(), n);
}

// commit(): what was drained has been processed; its space goes back to the
// producer. Until then a restarted analysis would read it again.
Napi::Value Commit(const Napi::CallbackInfo& info) {
  if (g_shm && g_shm->capacity) ring().release(g_cursor);
  return info.Env().Undefined();
}

// send(message): one message on the control channel; false if it failed.
Napi::Value Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (g_control < 0 || info.Length() < 1 || !info[0].IsString()) return Napi::Boolean::New(env, false);
  std::string m = info[0].As<Napi::String>().Utf8Value();
  ssize_t n;
  do {
    n = send(g_control, m.data(), m.size(), MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return Napi::Boolean::New(env, n == (ssize_t)m.size());
}

Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  if (!g_shm) return o;
  const tracer::Stats& s = g_shm->stats;
  o.Set("stops", (double)s.stops.load());
  o.Set("syscalls", (double)s.syscalls.load());
  o.Set("records", (double)s.records.load());
  o.Set("dropped", (double)s.dropped.load());
  o.Set("clones", (double)s.clones.load());
  o.Set("execs", (double)s.execs.load());
  o.Set("exits", (double)s.exits.load());
  o.Set("signals", (double)s.signals.load());
  o.Set("readErrors", (double)s.read_errors.load());
  o.Set("opensSkipped", (double)s.opens_skipped.load());
  o.Set("backpressureMs", (double)(s.backpressure_ns.load() / 1000000));
  o.Set("foreignSeccomp", (double)s.foreign_seccomp.load());
  o.Set("denied", (double)s.denied.load());
  o.Set("analysisStarts", (double)s.analysis_starts.load());
  o.Set("ringUsed", g_shm->capacity ? (double)ring().used() : 0.0);
  o.Set("ringCapacity", (double)g_shm->capacity);
  o.Set("workloadPid", g_shm->workload_pid.load());
  o.Set("finished", g_shm->finished.load() != 0);
  o.Set("workloadExited", g_shm->workload_exited.load() != 0);
  o.Set("workloadStatus", g_shm->workload_status.load());
  return o;
}

// syscalls(): the syscalls the tracer can decode, by name: number, how each
// register is captured (native/syscalls.h ArgKind) and flags, by name
Napi::Value Syscalls(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  for (int i = 0; i < tracer::kSyscallCount; i++) {
    const tracer::SyscallDef& def = tracer::kSyscalls[i];
    Napi::Object s = Napi::Object::New(env);
    s.Set("nr", def.nr);
    Napi::Array args = Napi::Array::New(env, 6);
    for (uint32_t a = 0; a < 6; a++) args.Set(a, tracer::arg_kind_name(def.args[a]));
    s.Set("args", args);
    Napi::Array flags = Napi::Array::New(env);
    int unnamed = def.flags;
    for (int f = 0; f < tracer::kSyscallFlagNameCount; f++) {
      if (!(def.flags & tracer::kSyscallFlagNames[f].flag)) continue;
      flags.Set(flags.Length(), tracer::kSyscallFlagNames[f].name);
      unnamed &= ~tracer::kSyscallFlagNames[f].flag;
    }
    // a flag without a name would vanish here: show it, so the table test fails on it
    if (unnamed) flags.Set(flags.Length(), "unnamed:" + std::to_string(unnamed));
    s.Set("flags", flags);
    o.Set(def.name, s);
  }
  return o;
}

// secretEnvVars(): native/secrets.h, to check against src/config/secrets.ts
Napi::Value SecretEnvVars(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array a = Napi::Array::New(env);
  for (const char* n : tracer::kSecretEnvVars) a.Set(a.Length(), Napi::String::New(env, n));
  return a;
}

// filterProgram([{name, exit}]): the BPF program as [code, jt, jf, k] rows (for tests)
Napi::Value FilterProgram(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<tracer::TracedSyscall> set;
  if (info.Length() > 0 && info[0].IsArray()) {
    Napi::Array a = info[0].As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Object e = a.Get(i).As<Napi::Object>();
      const tracer::SyscallDef* def = tracer::syscall_by_name(e.Get("name").ToString().Utf8Value().c_str());
      if (def) set.push_back({def->nr, e.Get("exit").ToBoolean().Value()});
    }
  }
  std::vector<sock_filter> f = tracer::build_filter(set);
  Napi::Array out = Napi::Array::New(env, f.size());
  for (size_t i = 0; i < f.size(); i++) {
    Napi::Array row = Napi::Array::New(env, 4);
    row.Set(0u, f[i].code);
    row.Set(1u, f[i].jt);
    row.Set(2u, f[i].jf);
    row.Set(3u, (double)f[i].k);
    out.Set(i, row);
  }
  return out;
}

// layout(): native/record.h as numbers (offsets, sizes, enum values), to check
// src/tracer/records.ts against it.
Napi::Value Layout(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  Napi::Object h = Napi::Object::New(env);
#define F(obj, T, f) obj.Set(#f, (double)offsetof(T, f))
  h.Set("size", (double)sizeof(tracer::RecHdr));
  F(h, tracer::RecHdr, kind);
  F(h, tracer::RecHdr, nitems);
  F(h, tracer::RecHdr, pid);
  F(h, tracer::RecHdr, tid);
  F(h, tracer::RecHdr, ts);
  F(h, tracer::RecHdr, nr);
  F(h, tracer::RecHdr, flags);
  F(h, tracer::RecHdr, ret);
  F(h, tracer::RecHdr, args);
  Napi::Object c = Napi::Object::New(env);
  c.Set("size", (double)sizeof(tracer::Creds));
  F(c, tracer::Creds, ruid);
  F(c, tracer::Creds, euid);
  F(c, tracer::Creds, suid);
  F(c, tracer::Creds, fsuid);
  F(c, tracer::Creds, rgid);
  F(c, tracer::Creds, egid);
  F(c, tracer::Creds, sgid);
  F(c, tracer::Creds, fsgid);
  c.Set("capInh", (double)offsetof(tracer::Creds, cap_inh));
  c.Set("capPrm", (double)offsetof(tracer::Creds, cap_prm));
  c.Set("capEff", (double)offsetof(tracer::Creds, cap_eff));
  F(c, tracer::Creds, loginuid);
  F(c, tracer::Creds, vpid);
  F(c, tracer::Creds, ppid);
  F(c, tracer::Creds, sid);
  F(c, tracer::Creds, pgid);
  F(c, tracer::Creds, tty);
  c.Set("startTicks", (double)offsetof(tracer::Creds, start_ticks));
  o.Set("hdr", h);
  o.Set("creds", c);
  Napi::Object f = Napi::Object::New(env);
  f.Set("size", (double)sizeof(tracer::FdFacts));
  F(f, tracer::FdFacts, fd);
  F(f, tracer::FdFacts, mode);
  F(f, tracer::FdFacts, flags);
  F(f, tracer::FdFacts, domain);
  F(f, tracer::FdFacts, sotype);
  F(f, tracer::FdFacts, proto);
  F(f, tracer::FdFacts, ino);
  f.Set("localLen", (double)offsetof(tracer::FdFacts, local_len));
  f.Set("peerLen", (double)offsetof(tracer::FdFacts, peer_len));
  F(f, tracer::FdFacts, role);
  F(f, tracer::FdFacts, local);
  F(f, tracer::FdFacts, peer);
  f.Set("addrMax", (double)sizeof(tracer::FdFacts::local));
  o.Set("fdFacts", f);
  Napi::Object x = Napi::Object::New(env);
  x.Set("size", (double)sizeof(tracer::ExeStat));
  F(x, tracer::ExeStat, ino);
  x.Set("ctime", (double)offsetof(tracer::ExeStat, ctime_ns));
  x.Set("mtime", (double)offsetof(tracer::ExeStat, mtime_ns));
  F(x, tracer::ExeStat, mode);
  F(x, tracer::ExeStat, uid);
  F(x, tracer::ExeStat, gid);
  F(x, tracer::ExeStat, flags);
  Napi::Object xf = Napi::Object::New(env);
  xf.Set("Overlay", (double)tracer::ES_OVERLAY);
  xf.Set("SinceStart", (double)tracer::ES_SINCE_START);
  xf.Set("ReadOnly", (double)tracer::ES_RDONLY);
  xf.Set("GroupMember", (double)tracer::ES_GROUP_MEMBER);
  x.Set("flagBits", xf);
  o.Set("exeStat", x);
  Napi::Object pk = Napi::Object::New(env);
  pk.Set("exact", (double)tracer::PK_EXACT);
  pk.Set("prefix", (double)tracer::PK_PREFIX);
  pk.Set("suffix", (double)tracer::PK_SUFFIX);
  pk.Set("contains", (double)tracer::PK_CONTAINS);
  o.Set("patternKinds", pk);
#undef F
  Napi::Object kinds = Napi::Object::New(env);
  kinds.Set("Syscall", (double)tracer::K_SYSCALL);
  kinds.Set("Clone", (double)tracer::K_CLONE);
  kinds.Set("Exec", (double)tracer::K_EXEC);
  kinds.Set("Exit", (double)tracer::K_EXIT);
  kinds.Set("Lost", (double)tracer::K_LOST);
  kinds.Set("Notice", (double)tracer::K_NOTICE);
  kinds.Set("Signal", (double)tracer::K_SIGNAL);
  o.Set("kinds", kinds);
  Napi::Object flags = Napi::Object::New(env);
  flags.Set("HasRet", (double)tracer::RF_HAS_RET);
  flags.Set("Thread", (double)tracer::RF_THREAD);
  flags.Set("Leader", (double)tracer::RF_LEADER);
  flags.Set("Foreign", (double)tracer::RF_FOREIGN);
  flags.Set("Main", (double)tracer::RF_MAIN);
  flags.Set("Entered", (double)tracer::RF_ENTERED);
  o.Set("flags", flags);
  Napi::Object tags = Napi::Object::New(env);
  tags.Set("Arg0", (double)tracer::TAG_ARG0);
  tags.Set("Out0", (double)tracer::TAG_OUT0);
  tags.Set("Exe", (double)tracer::TAG_EXE);
  tags.Set("Cmdline", (double)tracer::TAG_CMDLINE);
  tags.Set("Env", (double)tracer::TAG_ENV);
  tags.Set("Cwd", (double)tracer::TAG_CWD);
  tags.Set("Creds", (double)tracer::TAG_CREDS);
  tags.Set("Local", (double)tracer::TAG_LOCAL);
  tags.Set("Text", (double)tracer::TAG_TEXT);
  tags.Set("Comm", (double)tracer::TAG_COMM);
  tags.Set("ExeStat", (double)tracer::TAG_EXE_STAT);
  tags.Set("Dir0", (double)tracer::TAG_DIR0);
  tags.Set("Fd0", (double)tracer::TAG_FD0);
  o.Set("tags", tags);
  Napi::Object notices = Napi::Object::New(env);
  notices.Set("Untraced", (double)tracer::N_UNTRACED);
  notices.Set("NoSeccomp", (double)tracer::N_NO_SECCOMP);
  notices.Set("ExecFailed", (double)tracer::N_EXEC_FAILED);
  notices.Set("Analysis", (double)tracer::N_ANALYSIS);
  notices.Set("EnteredUntraced", (double)tracer::N_ENTERED_UNTRACED);
  o.Set("notices", notices);
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("layout", Napi::Function::New(env, Layout));
  exports.Set("attach", Napi::Function::New(env, Attach));
  exports.Set("drain", Napi::Function::New(env, Drain));
  exports.Set("commit", Napi::Function::New(env, Commit));
  exports.Set("send", Napi::Function::New(env, Send));
  exports.Set("stats", Napi::Function::New(env, Stats));
  exports.Set("syscalls", Napi::Function::New(env, Syscalls));
  exports.Set("secretEnvVars", Napi::Function::New(env, SecretEnvVars));
  exports.Set("filterProgram", Napi::Function::New(env, FilterProgram));
  return exports;
}

}  // namespace

NODE_API_MODULE(tracer, Init)
