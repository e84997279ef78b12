/*
 * The launcher behind DIR/bin/instrument, logwriter, orchestrator, agentctl.
 *
 * A static program (gcc -static), so it runs in any image: no /bin/sh, no libc
 * and no node of the image. It finds the tree it belongs to from its own path
 * (/proc/self/exe, else an absolute argv[0]): DIR/bin/NAME, and runs
 *
 *   DIR/lib/ld-linux-x86-64.so.2 --library-path DIR/lib --argv0 ARGV0 \
 *       DIR/lib/node DIR/lib/NAME.mjs ARGS...
 *
 * i.e. the Node.js runtime of the tree, loaded by the tree's own loader with
 * the tree's own libraries. ARGS are passed untouched.
 *
 * Environment: the variables in SAVED would change the agent's own Node.js
 * process (the image's LD_PRELOAD built for musl, a NODE_OPTIONS or a
 * NODE_EXTRA_CA_CERTS meant for the workload...). Each one that is set is
 * moved to DRAIOS_SAVED_<NAME>; the
 * bundle's first lines (scripts/dist.mjs, BANNER) move them back into
 * process.env and delete the DRAIOS_SAVED_* names, so the workload started by
 * `instrument` sees exactly the environment it was given. Nothing else is
 * added.
 *
 * Exit codes (only when the exec fails; afterwards the agent's own apply):
 * 127 the tree is incomplete (no loader, node or NAME.mjs), 126 exec failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const SAVED[] = {
    "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "NODE_OPTIONS", "NODE_PATH", "NODE_EXTRA_CA_CERTS", NULL,
};
#define SAVED_PREFIX "DRAIOS_SAVED_"

/* Node.js flags for the agent's runtime (none for now), before the script. */
static const char *const NODE_FLAGS[] = {NULL};

static const char *prog = "draios-launcher";

static void die(int code, const char *what, const char *path) {
  fprintf(stderr, "%s: %s %s: %s\n", prog, what, path, strerror(errno));
  exit(code);
}

static char *join(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  char *s = malloc(la + lb + 2);
  if (!s) {
    fprintf(stderr, "%s: out of memory\n", prog);
    exit(126);
  }
  memcpy(s, a, la);
  s[la] = '/';
  memcpy(s + la + 1, b, lb + 1);
  return s;
}

/* Moves each SAVED variable to DRAIOS_SAVED_<NAME>; clears stale saved copies. */
static void save_env(void) {
  for (const char *const *v = SAVED; *v; v++) {
    char saved[64];
    int n = snprintf(saved, sizeof saved, "%s%s", SAVED_PREFIX, *v);
    if (n < 0 || (size_t)n >= sizeof saved) continue;
    const char *value = getenv(*v);
    if (value) {
      if (setenv(saved, value, 1) != 0) die(126, "cannot save", *v);
      unsetenv(*v);
    } else {
      unsetenv(saved);
    }
  }
}

int main(int argc, char **argv) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
  } else if (argc > 0 && argv[0][0] == '/' && realpath(argv[0], exe)) {
    /* no /proc (yet): an absolute argv[0] is where we are */
  } else {
    fprintf(stderr, "%s: cannot find my own path: /proc/self/exe unreadable and argv[0] not absolute\n", prog);
    return 127;
  }

  /* exe = DIR/bin/NAME */
  char *slash = strrchr(exe, '/');
  if (!slash || slash == exe) {
    fprintf(stderr, "%s: unexpected location %s (expected DIR/bin/NAME)\n", prog, exe);
    return 127;
  }
  *slash = '\0';
  const char *name = slash + 1;
  prog = name;
  char *bindir_end = strrchr(exe, '/');
  if (!bindir_end) {
    fprintf(stderr, "%s: unexpected location %s/%s (expected DIR/bin/NAME)\n", prog, exe, name);
    return 127;
  }
  *bindir_end = '\0';
  const char *dir = bindir_end == exe ? "" : exe;

  char *lib = join(dir, "lib");
  char *ld = join(lib, "ld-linux-x86-64.so.2");
  char *node = join(lib, "node");
  char scriptname[NAME_MAX + 8];
  snprintf(scriptname, sizeof scriptname, "%s.mjs", name);
  char *script = join(lib, scriptname);
  if (access(ld, X_OK) != 0) die(127, "no loader at", ld);
  if (access(node, R_OK) != 0) die(127, "no node runtime at", node);
  if (access(script, R_OK) != 0) die(127, "no program at", script);

  save_env();

  size_t nflags = sizeof NODE_FLAGS / sizeof NODE_FLAGS[0] - 1;
  char **args = calloc((size_t)argc + nflags + 8, sizeof *args);
  if (!args) {
    fprintf(stderr, "%s: out of memory\n", prog);
    return 126;
  }
  size_t i = 0;
  args[i++] = ld;
  args[i++] = "--library-path";
  args[i++] = lib;
  args[i++] = "--argv0";
  args[i++] = argc > 0 ? argv[0] : (char *)name;
  args[i++] = node;
  for (size_t f = 0; f < nflags; f++) args[i++] = (char *)NODE_FLAGS[f];
  args[i++] = script;
  for (int a = 1; a < argc; a++) args[i++] = argv[a];
  args[i] = NULL;

  execv(ld, args);
  die(126, "cannot execute", ld);
  return 126;
}
