// Environment variables that hold agent secrets: removed from the workload's
// environment, scrubbed from the supervisor's /proc/PID/environ, and handed to
// the analysis process through a pipe. src/config/secrets.ts lists the same
// names; test/tracer/native-tables.test.ts checks that the two agree.
#pragma once

namespace tracer {

constexpr const char* kSecretEnvVars[] = {"SYSDIG_ACCESS_KEY", "SYSDIG_API_TOKEN", "SYSDIG_SECURE_API_TOKEN"};

}  // namespace tracer
