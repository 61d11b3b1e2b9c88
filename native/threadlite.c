/*
 * threadlite's native part: one shared library that is both a SQLite
 * loadable extension and a Node-API addon.
 *
 * better-sqlite3 has no interrupt(), but it can load SQLite extensions, and an
 * extension's entry point receives the connection and SQLite's API table. A
 * worker loads this library into its connection (db.loadExtension) and calls
 * threadlite_register(slot) once; the main thread loads the same file as an
 * addon (require). dlopen of one path gives one copy of the globals below, so
 * the main thread can reach every registered connection through its slot.
 *
 * Exactness. A worker pipelines requests: when the main thread asks to stop
 * request N, the worker may already have finished N and started N+1. Each
 * slot therefore points at an Int32 cell in a SharedArrayBuffer that the
 * worker sets to the id of the request whose statement is running (0 when
 * none). interrupt(slot, N) swaps that cell from N to -N, calls
 * sqlite3_interrupt, records N in the next cell (so the worker knows an
 * interrupt reached it), and swaps it back; the worker ends a request with a
 * compare-and-swap from N to 0, and waits out the -N window (a few hundred
 * nanoseconds). So an interrupt can only land while the worker is still inside
 * request N: never on a neighbour.
 *
 * Lifetime. SQLite forbids interrupting a connection that is closed. Each
 * registration attaches client data whose destructor, run by sqlite3_close,
 * clears the slot under the same mutex the interrupt holds: once a connection
 * is closing, no interrupt can reach it.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT1

#define MAX_SLOTS 4096

typedef struct {
  int used;                 /* allocated by the main thread */
  int32_t *current;         /* the worker's "running request" cell */
  sqlite3 *db;              /* registered connection, or NULL */
  napi_ref keep;            /* keeps the SharedArrayBuffer alive */
  napi_env env;             /* the environment that owns `keep` */
} Slot;

static Slot slots[MAX_SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* SQLite's API table, set by the first connection that loads us (one SQLite per process). */
static const sqlite3_api_routines *api_table = NULL;

static const char *CLIENT_KEY = "threadlite.slot";

/* ---- SQLite side ------------------------------------------------------ */

static void on_connection_close(void *p) {
  Slot *slot = (Slot *)p;
  pthread_mutex_lock(&lock);
  slot->db = NULL;
  pthread_mutex_unlock(&lock);
}

/* threadlite_register(slot): binds this connection to a slot the main thread allocated. */
static void register_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  sqlite3_int64 index = sqlite3_value_int64(argv[0]);
  if (index < 0 || index >= MAX_SLOTS) {
    sqlite3_result_error(ctx, "threadlite_register: slot out of range", -1);
    return;
  }
  sqlite3 *db = sqlite3_context_db_handle(ctx);
  Slot *slot = &slots[index];
  pthread_mutex_lock(&lock);
  int ok = slot->used && slot->db == NULL;
  if (ok) slot->db = db;
  pthread_mutex_unlock(&lock);
  if (!ok) {
    sqlite3_result_error(ctx, "threadlite_register: slot not allocated or already bound", -1);
    return;
  }
  sqlite3_set_clientdata(db, CLIENT_KEY, slot, on_connection_close);
  sqlite3_result_int(ctx, 1);
}

#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_threadlite_init(sqlite3 *db, char **err, const sqlite3_api_routines *api) {
  (void)err;
  SQLITE_EXTENSION_INIT2(api);
  pthread_mutex_lock(&lock);
  if (api_table == NULL) api_table = api;
  pthread_mutex_unlock(&lock);
  return sqlite3_create_function(db, "threadlite_register", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY, NULL, register_fn, NULL, NULL);
}

/* ---- Node-API side ------------------------------------------------------ */

static napi_value number(napi_env env, int32_t value) {
  napi_value out;
  napi_create_int32(env, value, &out);
  return out;
}

static int32_t arg_int(napi_env env, napi_value value, int32_t fallback) {
  int32_t out = fallback;
  if (napi_get_value_int32(env, value, &out) != napi_ok) return fallback;
  return out;
}

/* allocate(int32Array, index) -> slot, or -1 when full / bad arguments. */
static napi_value allocate(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2) return number(env, -1);
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL) != napi_ok || type != napi_int32_array) {
    return number(env, -1);
  }
  int32_t index = arg_int(env, argv[1], -1);
  /* Three cells: [index] the running request, [index + 1] the last request
     interrupted, [index + 2] set to 1 when the process exits (start nothing). */
  if (index < 0 || (size_t)index + 2 >= length) return number(env, -1);
  napi_ref keep;
  if (napi_create_reference(env, argv[0], 1, &keep) != napi_ok) return number(env, -1);
  int32_t found = -1;
  pthread_mutex_lock(&lock);
  for (int32_t i = 0; i < MAX_SLOTS; i++) {
    if (!slots[i].used) {
      slots[i].used = 1;
      slots[i].current = (int32_t *)data + index;
      slots[i].db = NULL;
      slots[i].keep = keep;
      slots[i].env = env;
      found = i;
      break;
    }
  }
  pthread_mutex_unlock(&lock);
  if (found < 0) napi_delete_reference(env, keep);
  return number(env, found);
}

/* release(slot): frees a slot once its worker has exited. */
static napi_value release(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t index = argc < 1 ? -1 : arg_int(env, argv[0], -1);
  if (index < 0 || index >= MAX_SLOTS) return number(env, 0);
  napi_ref keep = NULL;
  pthread_mutex_lock(&lock);
  Slot *slot = &slots[index];
  if (slot->used && slot->env == env) {
    keep = slot->keep;
    slot->used = 0;
    slot->current = NULL;
    slot->keep = NULL;
    /* A connection still registered (its thread is stuck in native code and
       was never closed) simply stops being reachable. */
    slot->db = NULL;
  }
  pthread_mutex_unlock(&lock);
  if (keep != NULL) napi_delete_reference(env, keep);
  return number(env, keep != NULL);
}

/*
 * interrupt(slot, request) -> 1 if SQLite was interrupted while `request` was
 * the worker's running statement, else 0. request <= 0: interrupt whatever
 * runs (process exit, close after its grace period).
 */
static napi_value interrupt(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t index = argc < 1 ? -1 : arg_int(env, argv[0], -1);
  int32_t request = argc < 2 ? 0 : arg_int(env, argv[1], 0);
  if (index < 0 || index >= MAX_SLOTS) return number(env, 0);
  int delivered = 0;
  pthread_mutex_lock(&lock);
  Slot *slot = &slots[index];
  if (slot->used && slot->db != NULL && api_table != NULL) {
    if (request <= 0) {
      sqlite3_interrupt(slot->db);
      delivered = 1;
    } else {
      int32_t expected = request;
      if (__atomic_compare_exchange_n(slot->current, &expected, -request, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        sqlite3_interrupt(slot->db);
        __atomic_store_n(slot->current + 1, request, __ATOMIC_SEQ_CST);
        __atomic_store_n(slot->current, request, __ATOMIC_SEQ_CST);
        delivered = 1;
      }
    }
  }
  pthread_mutex_unlock(&lock);
  return number(env, delivered);
}

/* Interrupts every connection still running a statement; returns how many there were. */
static int32_t interrupt_running(void) {
  int32_t running = 0;
  pthread_mutex_lock(&lock);
  for (int32_t i = 0; i < MAX_SLOTS; i++) {
    Slot *slot = &slots[i];
    if (!slot->used) continue;
    /* Halt first, then look: a worker publishes its request before it reads the halt cell. */
    __atomic_store_n(slot->current + 2, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(slot->current, __ATOMIC_SEQ_CST) == 0) continue;
    running++;
    if (slot->db != NULL && api_table != NULL) sqlite3_interrupt(slot->db);
  }
  pthread_mutex_unlock(&lock);
  return running;
}

/*
 * interruptAll(waitMs): the process is exiting. Node terminates and joins
 * every worker thread, and a thread inside sqlite3_step never notices
 * termination; worse, a statement that notices an interrupt after its
 * isolate began terminating makes better-sqlite3 abort the process while
 * building the error. So: tell every worker to start nothing more, interrupt
 * what runs, and wait (up to waitMs) until every worker is out of SQLite.
 */
static napi_value interrupt_all(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t wait_ms = argc < 1 ? 0 : arg_int(env, argv[0], 0);
  int32_t running = interrupt_running();
  for (int32_t waited = 0; running > 0 && waited < wait_ms; waited++) {
    struct timespec pause = {0, 1000000};
    nanosleep(&pause, NULL);
    running = interrupt_running();
  }
  return number(env, running);
}

/* registered(slot) -> whether a connection is bound to the slot. */
static napi_value registered(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t index = argc < 1 ? -1 : arg_int(env, argv[0], -1);
  int bound = 0;
  if (index >= 0 && index < MAX_SLOTS) {
    pthread_mutex_lock(&lock);
    bound = slots[index].used && slots[index].db != NULL;
    pthread_mutex_unlock(&lock);
  }
  return number(env, bound);
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor props[] = {
    {"allocate", NULL, allocate, NULL, NULL, NULL, napi_default, NULL},
    {"release", NULL, release, NULL, NULL, NULL, napi_default, NULL},
    {"interrupt", NULL, interrupt, NULL, NULL, NULL, napi_default, NULL},
    {"interruptAll", NULL, interrupt_all, NULL, NULL, NULL, napi_default, NULL},
    {"registered", NULL, registered, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  napi_value version;
  napi_create_int32(env, 1, &version);
  napi_set_named_property(env, exports, "version", version);
  return exports;
}
