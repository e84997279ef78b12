// N-API boundary of the tracer: start the workload, drain records, read
// counters. Typed on the TypeScript side by src/tracer/native.ts. One tracer
// per process (the wrapper runs one workload).
#include <napi.h>

#include <cstring>

#include "record.h"
#include "seccomp.h"
#include "syscalls.h"
#include "tracer.h"

namespace {

tracer::Tracer* g_tracer = nullptr;
Napi::ThreadSafeFunction g_tsfn;

// Calls the JavaScript callback, tolerating an environment that is shutting
// down (a notification may still be queued when the process exits).
void CallJs(Napi::Env env, Napi::Function cb) {
  if (env == nullptr || cb.IsEmpty()) return;
  napi_value result;
  napi_call_function(env, env.Undefined(), cb, 0, nullptr, &result);
}

std::vector<std::string> string_array(const Napi::Value& v) {
  std::vector<std::string> out;
  if (!v.IsArray()) return out;
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) out.push_back(a.Get(i).ToString().Utf8Value());
  return out;
}

// [{kind: 0 exact | 1 prefix | 2 suffix | 3 contains, value, write?}] -> a filter;
// null/undefined -> none (every open matters).
std::shared_ptr<const tracer::PathFilter> path_filter(const Napi::Value& v) {
  if (!v.IsArray()) return nullptr;
  Napi::Array a = v.As<Napi::Array>();
  std::vector<tracer::PathPattern> pats;
  for (uint32_t i = 0; i < a.Length(); i++) {
    if (!a.Get(i).IsObject()) continue;
    Napi::Object e = a.Get(i).As<Napi::Object>();
    int kind = e.Get("kind").ToNumber().Int32Value();
    if (kind < tracer::PK_EXACT || kind > tracer::PK_CONTAINS) return nullptr;  // unknown: be safe, no filter
    pats.push_back({(tracer::PatternKind)kind, e.Get("value").ToString().Utf8Value(), e.Get("write").ToBoolean().Value()});
  }
  return std::make_shared<const tracer::PathFilter>(std::move(pats));
}

// start({argv, env, syscalls: [{name, exit}], trace, readEnv, ringBytes, cpu, pathFilter}, onData)
Napi::Value Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (g_tracer) {
    Napi::Error::New(env, "tracer already started").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction()) {
    Napi::TypeError::New(env, "start(options, onData)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object o = info[0].As<Napi::Object>();
  tracer::StartOptions opts;
  opts.argv = string_array(o.Get("argv"));
  opts.envp = string_array(o.Get("env"));
  if (opts.argv.empty()) {
    Napi::TypeError::New(env, "argv must not be empty").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Value sc = o.Get("syscalls");
  Napi::Array unknown = Napi::Array::New(env);
  if (sc.IsArray()) {
    Napi::Array a = sc.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Object e = a.Get(i).As<Napi::Object>();
      std::string name = e.Get("name").ToString().Utf8Value();
      const tracer::SyscallDef* def = tracer::syscall_by_name(name.c_str());
      if (!def) {
        unknown.Set(unknown.Length(), Napi::String::New(env, name));
        continue;
      }
      opts.syscalls.push_back({def->nr, e.Get("exit").ToBoolean().Value()});
    }
  }
  if (o.Has("trace")) opts.trace = o.Get("trace").ToBoolean().Value();
  if (o.Has("readEnv")) opts.read_env = o.Get("readEnv").ToBoolean().Value();
  if (o.Has("ringBytes") && o.Get("ringBytes").IsNumber())
    opts.ring_bytes = (size_t)o.Get("ringBytes").As<Napi::Number>().Int64Value();
  if (o.Has("cpu") && o.Get("cpu").IsNumber()) opts.cpu = o.Get("cpu").As<Napi::Number>().Int32Value();
  if (o.Has("pathFilter")) opts.path_filter = path_filter(o.Get("pathFilter"));

  // The thread-safe function keeps the event loop alive while the tracer
  // runs; the tracer thread releases it when nothing is left to trace.
  g_tsfn = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "tracer-data", 0, 1);
  g_tracer = new tracer::Tracer([](bool last) {
    g_tsfn.NonBlockingCall(CallJs);
    if (last) g_tsfn.Release();
  });
  tracer::StartResult r = g_tracer->start(opts);

  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", r.pid);
  out.Set("traced", r.traced);
  out.Set("error", r.error);
  out.Set("message", r.message);
  out.Set("unknownSyscalls", unknown);
  return out;
}

// drain(maxBytes): Buffer of whole records, or null when the ring is empty
// (which also re-arms the notification).
Napi::Value Drain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!g_tracer) return env.Null();
  size_t max = 1u << 20;
  if (info.Length() > 0 && info[0].IsNumber()) max = (size_t)info[0].As<Napi::Number>().Int64Value();
  // A fresh buffer per call. A reused scratch buffer saved the event loop
  // ~8 us of CPU per record, yet made create-files 25% (pinned) to 60%
  // (unpinned) slower in A/B runs (docs/BENCHMARKS.md, "Levers"). Likely: an
  // event loop that goes idle sooner must be woken more often (a wake-up of
  // an idle vCPU on the tracer thread, between a stop and its resume), and,
  // unpinned, the freed CPU attracts the tracer or the workload, making stops
  // cross-CPU. Measure before changing.
  std::vector<uint8_t> tmp(max);
  size_t n = g_tracer->drain(tmp.data(), max);
  if (n == 0) {
    if (g_tracer->rearm()) {
      n = g_tracer->drain(tmp.data(), max);
      if (n == 0) return env.Null();
    } else {
      return env.Null();
    }
  }
  return Napi::Buffer<uint8_t>::Copy(env, tmp.data(), n);
}

Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  if (!g_tracer) return o;
  const tracer::Stats& s = g_tracer->stats();
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
  o.Set("ringUsed", (double)g_tracer->ring_used());
  o.Set("ringCapacity", (double)g_tracer->ring_capacity());
  o.Set("finished", g_tracer->finished());
  return o;
}

// syscalls(): names and numbers the tracer can decode
Napi::Value Syscalls(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  for (int i = 0; i < tracer::kSyscallCount; i++) o.Set(tracer::kSyscalls[i].name, tracer::kSyscalls[i].nr);
  return o;
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

// setPathFilter(patterns | null): the open pre-filter for the rules now in force.
Napi::Value SetPathFilter(const Napi::CallbackInfo& info) {
  if (g_tracer) g_tracer->set_path_filter(path_filter(info.Length() > 0 ? info[0] : info.Env().Null()));
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("setPathFilter", Napi::Function::New(env, SetPathFilter));
  exports.Set("start", Napi::Function::New(env, Start));
  exports.Set("drain", Napi::Function::New(env, Drain));
  exports.Set("stats", Napi::Function::New(env, Stats));
  exports.Set("syscalls", Napi::Function::New(env, Syscalls));
  exports.Set("filterProgram", Napi::Function::New(env, FilterProgram));
  return exports;
}

}  // namespace

NODE_API_MODULE(tracer, Init)
