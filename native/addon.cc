// Placeholder; replaced by the tracer addon.
#include <napi.h>
static Napi::Object Init(Napi::Env env, Napi::Object exports) { return exports; }
NODE_API_MODULE(tracer, Init)
