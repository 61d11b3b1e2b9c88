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
 *
 * Change tracking (threadlite/sqlite3's 'change' event). The worker that owns
 * a connection calls trackChanges(slot, 1, cap) from its own thread, between
 * statements: that installs sqlite3_update_hook, whose callback appends
 * (operation, database, table, rowid) to a buffer of the connection. The
 * callback runs inside sqlite3_step and calls no SQLite function; it only
 * copies. After each request the worker calls drainChanges(slot), which
 * returns and empties the buffer. The buffer records at most `cap` changes per
 * drain; past that it only counts, per table, how many it did not record, so a
 * 100k-row INSERT ... SELECT costs at most cap entries of memory. The buffer
 * belongs to the connection's client data and is freed when it closes.
 * setLimit(slot, id, value) is sqlite3_limit on the connection, also called
 * by its own worker. These are Node-API calls and not SQL functions because
 * better-sqlite3 refuses to run any statement while a cursor of the
 * connection is open, and the worker must drain after every request.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT1

#define MAX_SLOTS 4096

/* One recorded change: what the update hook reported, with the names interned. */
typedef struct {
  sqlite3_int64 rowid;
  uint32_t name;            /* index into Conn.names */
  int op;                   /* SQLITE_INSERT, SQLITE_UPDATE or SQLITE_DELETE */
} Change;

/* A (database, table) pair the hook reported since the last drain. */
typedef struct {
  char *db;
  char *table;
  uint32_t dropped;         /* changes to it past the cap, not recorded */
} ChangeName;

struct Slot;

/*
 * One registered connection: its slot and its change buffer. Only the thread
 * that owns the connection touches the buffer (the hook runs inside its
 * sqlite3_step; it drains between statements), so the buffer needs no lock.
 */
typedef struct {
  struct Slot *slot;
  sqlite3 *db;
  int tracking;             /* the update hook is installed (read by changeHooks from any thread) */
  uint32_t cap;             /* changes recorded per drain */
  Change *changes;
  uint32_t count, capacity;
  ChangeName *names;
  uint32_t name_count, name_capacity;
  uint32_t dropped;         /* changes past the cap, or not recorded for want of memory */
} Conn;

typedef struct Slot {
  int used;                 /* allocated by the main thread */
  int32_t *current;         /* the worker's "running request" cell */
  sqlite3 *db;              /* registered connection, or NULL */
  Conn *conn;               /* its state, or NULL */
  napi_ref keep;            /* keeps the SharedArrayBuffer alive */
  napi_env env;             /* the environment that owns `keep` */
  /* CPU-time clock (a clockid_t) of the thread that registered db, -1 when none;
     read without the lock (see threadCpu). */
  int clock;
} Slot;

static Slot slots[MAX_SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* SQLite's API table, set by the first connection that loads us (one SQLite per process). */
static const sqlite3_api_routines *api_table = NULL;

static const char *CLIENT_KEY = "threadlite.slot";

/* ---- SQLite side ------------------------------------------------------ */

/* Forgets the names and changes recorded since the last drain (keeps the change array for reuse). */
static void clear_changes(Conn *c) {
  for (uint32_t i = 0; i < c->name_count; i++) {
    free(c->names[i].db);
    free(c->names[i].table);
  }
  c->name_count = 0;
  c->count = 0;
  c->dropped = 0;
}

static void free_changes(Conn *c) {
  clear_changes(c);
  free(c->changes);
  free(c->names);
  c->changes = NULL;
  c->names = NULL;
  c->capacity = 0;
  c->name_capacity = 0;
}

/* The index of (db, table) among the names recorded since the last drain, added if new; UINT32_MAX without memory. */
static uint32_t intern(Conn *c, const char *db, const char *table) {
  /* Newest first: a statement reports one table row after row. */
  for (uint32_t i = c->name_count; i-- > 0;) {
    if (strcmp(c->names[i].table, table) == 0 && strcmp(c->names[i].db, db) == 0) return i;
  }
  if (c->name_count == c->name_capacity) {
    uint32_t grown = c->name_capacity == 0 ? 4 : c->name_capacity * 2;
    ChangeName *names = realloc(c->names, grown * sizeof(ChangeName));
    if (names == NULL) return UINT32_MAX;
    c->names = names;
    c->name_capacity = grown;
  }
  char *d = strdup(db);
  char *t = strdup(table);
  if (d == NULL || t == NULL) {
    free(d);
    free(t);
    return UINT32_MAX;
  }
  c->names[c->name_count] = (ChangeName){d, t, 0};
  return c->name_count++;
}

/* sqlite3_update_hook's callback, inside sqlite3_step: records, never calls SQLite. */
static void on_update(void *p, int op, const char *db, const char *table, sqlite3_int64 rowid) {
  Conn *c = (Conn *)p;
  uint32_t name = intern(c, db, table);
  if (name == UINT32_MAX) {
    c->dropped++;
    return;
  }
  if (c->count >= c->cap) {
    c->names[name].dropped++;
    c->dropped++;
    return;
  }
  if (c->count == c->capacity) {
    uint32_t grown = c->capacity == 0 ? 64 : c->capacity * 2;
    if (grown > c->cap) grown = c->cap;
    Change *changes = realloc(c->changes, grown * sizeof(Change));
    if (changes == NULL) {
      c->names[name].dropped++;
      c->dropped++;
      return;
    }
    c->changes = changes;
    c->capacity = grown;
  }
  c->changes[c->count++] = (Change){rowid, name, op};
}

/* Client data destructor, run by sqlite3_close: unbinds the slot (no interrupt can reach a closing connection) and frees the buffer. */
static void on_connection_close(void *p) {
  Conn *c = (Conn *)p;
  pthread_mutex_lock(&lock);
  if (c->slot->conn == c) {
    c->slot->db = NULL;
    c->slot->conn = NULL;
    __atomic_store_n(&c->slot->clock, -1, __ATOMIC_SEQ_CST);
  }
  pthread_mutex_unlock(&lock);
  free_changes(c);
  free(c);
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
  Conn *conn = calloc(1, sizeof(Conn));
  if (conn == NULL) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  conn->slot = slot;
  conn->db = db;
  pthread_mutex_lock(&lock);
  int ok = slot->used && slot->db == NULL;
  if (ok) {
    slot->db = db;
    slot->conn = conn;
#ifdef __linux__
    /* The registering thread is the one that runs this connection's statements. */
    clockid_t clock;
    if (pthread_getcpuclockid(pthread_self(), &clock) == 0) __atomic_store_n(&slot->clock, (int)clock, __ATOMIC_SEQ_CST);
#endif
  }
  pthread_mutex_unlock(&lock);
  if (!ok) {
    free(conn);
    sqlite3_result_error(ctx, "threadlite_register: slot not allocated or already bound", -1);
    return;
  }
  sqlite3_set_clientdata(db, CLIENT_KEY, conn, on_connection_close);
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
      /* The clock first: threadCpu reads it as soon as `used` is set, without the lock. */
      __atomic_store_n(&slots[i].clock, -1, __ATOMIC_SEQ_CST);
      __atomic_store_n(&slots[i].used, 1, __ATOMIC_SEQ_CST);
      slots[i].current = (int32_t *)data + index;
      slots[i].db = NULL;
      slots[i].conn = NULL;
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
    slot->conn = NULL;
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

/*
 * threadCpu(slot) -> CPU time (ms) the thread that registered the slot's
 * connection has run so far, or -1 (none bound, or not Linux). Read from
 * another thread it is exact at the moment of the call (the kernel brings a
 * running thread's count up to date), unlike /proc's schedstat, which lags
 * by up to a scheduler tick. The inline watchdog uses it to tell a read that
 * runs long from a main thread that is not running at all (see
 * src/inline-watchdog.ts). Without the lock: the watchdog must never wait on
 * a thread that holds it and is itself waiting for a CPU. A clock whose
 * thread has ended fails (EINVAL) and reads as -1.
 */
static napi_value thread_cpu(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t index = argc < 1 ? -1 : arg_int(env, argv[0], -1);
  double ms = -1;
#ifdef __linux__
  if (index >= 0 && index < MAX_SLOTS) {
    /* A slot never allocated still has its zeroed clock (0 is CLOCK_REALTIME): ask `used` first. */
    int clock = __atomic_load_n(&slots[index].used, __ATOMIC_SEQ_CST) ? __atomic_load_n(&slots[index].clock, __ATOMIC_SEQ_CST) : -1;
    struct timespec ts;
    if (clock != -1 && clock_gettime((clockid_t)clock, &ts) == 0) ms = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
  }
#else
  (void)index;
#endif
  napi_value out;
  napi_create_double(env, ms, &out);
  return out;
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

/*
 * The connection bound to a slot, for the thread that owns it (trackChanges,
 * drainChanges, setLimit are called by the worker on its own connection,
 * between statements); NULL if none is bound.
 */
static Conn *own_connection(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t index = argc < 1 ? -1 : arg_int(env, argv[0], -1);
  if (index < 0 || index >= MAX_SLOTS || api_table == NULL) return NULL;
  pthread_mutex_lock(&lock);
  Conn *conn = slots[index].used ? slots[index].conn : NULL;
  pthread_mutex_unlock(&lock);
  return conn;
}

/* trackChanges(slot, on, cap) -> 1 if the update hook is now installed as asked, 0 if no connection is bound. */
static napi_value track_changes(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  Conn *c = own_connection(env, info, 3, argv);
  if (c == NULL) return number(env, 0);
  int32_t on = arg_int(env, argv[1], 0);
  int32_t cap = arg_int(env, argv[2], 0);
  if (on && cap > 0) {
    c->cap = (uint32_t)cap;
    sqlite3_update_hook(c->db, on_update, c);
    __atomic_store_n(&c->tracking, 1, __ATOMIC_SEQ_CST);
  } else {
    sqlite3_update_hook(c->db, NULL, NULL);
    __atomic_store_n(&c->tracking, 0, __ATOMIC_SEQ_CST);
    free_changes(c);
  }
  return number(env, 1);
}

static const char *op_name(int op) {
  switch (op) {
    case SQLITE_INSERT: return "insert";
    case SQLITE_UPDATE: return "update";
    case SQLITE_DELETE: return "delete";
    default: return "unknown";
  }
}

/*
 * drainChanges(slot) -> undefined when nothing was recorded since the last
 * drain, else { entries: [[type, database, table, rowid], ...] in the order
 * the hook reported them, dropped: [[database, table, count], ...] (changes
 * past the cap) , lost: count (changes not recorded for want of memory) }.
 * rowid is a Number, as node-sqlite3 gives it. Empties the buffer.
 */
static napi_value drain_changes(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  napi_value out;
  napi_get_undefined(env, &out);
  Conn *c = own_connection(env, info, 1, argv);
  if (c == NULL || (c->count == 0 && c->dropped == 0)) return out;
  napi_value ops[3];
  napi_create_string_utf8(env, "insert", NAPI_AUTO_LENGTH, &ops[0]);
  napi_create_string_utf8(env, "update", NAPI_AUTO_LENGTH, &ops[1]);
  napi_create_string_utf8(env, "delete", NAPI_AUTO_LENGTH, &ops[2]);
  /* One JavaScript string per name, shared by every entry that names it. */
  napi_value *dbs = calloc(c->name_count + 1, sizeof(napi_value));
  napi_value *tables = calloc(c->name_count + 1, sizeof(napi_value));
  if (dbs == NULL || tables == NULL) {
    free(dbs);
    free(tables);
    clear_changes(c);
    return out;
  }
  for (uint32_t i = 0; i < c->name_count; i++) {
    napi_create_string_utf8(env, c->names[i].db, NAPI_AUTO_LENGTH, &dbs[i]);
    napi_create_string_utf8(env, c->names[i].table, NAPI_AUTO_LENGTH, &tables[i]);
  }
  napi_value entries, dropped;
  napi_create_array_with_length(env, c->count, &entries);
  for (uint32_t i = 0; i < c->count; i++) {
    Change *ch = &c->changes[i];
    napi_value entry, rowid, type;
    napi_create_array_with_length(env, 4, &entry);
    if (ch->op == SQLITE_INSERT) type = ops[0];
    else if (ch->op == SQLITE_UPDATE) type = ops[1];
    else if (ch->op == SQLITE_DELETE) type = ops[2];
    else napi_create_string_utf8(env, op_name(ch->op), NAPI_AUTO_LENGTH, &type);
    napi_create_double(env, (double)ch->rowid, &rowid);
    napi_set_element(env, entry, 0, type);
    napi_set_element(env, entry, 1, dbs[ch->name]);
    napi_set_element(env, entry, 2, tables[ch->name]);
    napi_set_element(env, entry, 3, rowid);
    napi_set_element(env, entries, i, entry);
  }
  napi_create_array(env, &dropped);
  uint32_t listed = 0, counted = 0;
  for (uint32_t i = 0; i < c->name_count; i++) {
    if (c->names[i].dropped == 0) continue;
    napi_value row;
    napi_create_array_with_length(env, 3, &row);
    napi_set_element(env, row, 0, dbs[i]);
    napi_set_element(env, row, 1, tables[i]);
    napi_set_element(env, row, 2, number(env, (int32_t)c->names[i].dropped));
    napi_set_element(env, dropped, listed++, row);
    counted += c->names[i].dropped;
  }
  free(dbs);
  free(tables);
  napi_create_object(env, &out);
  napi_set_named_property(env, out, "entries", entries);
  napi_set_named_property(env, out, "dropped", dropped);
  napi_set_named_property(env, out, "lost", number(env, (int32_t)(c->dropped - counted)));
  clear_changes(c);
  return out;
}

/* setLimit(slot, id, value) -> sqlite3_limit's previous value, or -1 (no connection bound, or an unknown id). */
static napi_value set_limit(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  Conn *c = own_connection(env, info, 3, argv);
  if (c == NULL) return number(env, -1);
  return number(env, sqlite3_limit(c->db, arg_int(env, argv[1], -1), arg_int(env, argv[2], -1)));
}

/* changeHooks() -> how many connections in the process have the update hook installed (diagnostics, tests). */
static napi_value change_hooks(napi_env env, napi_callback_info info) {
  (void)info;
  int32_t hooks = 0;
  pthread_mutex_lock(&lock);
  for (int32_t i = 0; i < MAX_SLOTS; i++) {
    if (slots[i].used && slots[i].conn != NULL && __atomic_load_n(&slots[i].conn->tracking, __ATOMIC_SEQ_CST)) hooks++;
  }
  pthread_mutex_unlock(&lock);
  return number(env, hooks);
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor props[] = {
    {"allocate", NULL, allocate, NULL, NULL, NULL, napi_default, NULL},
    {"release", NULL, release, NULL, NULL, NULL, napi_default, NULL},
    {"interrupt", NULL, interrupt, NULL, NULL, NULL, napi_default, NULL},
    {"interruptAll", NULL, interrupt_all, NULL, NULL, NULL, napi_default, NULL},
    {"registered", NULL, registered, NULL, NULL, NULL, napi_default, NULL},
    {"trackChanges", NULL, track_changes, NULL, NULL, NULL, napi_default, NULL},
    {"drainChanges", NULL, drain_changes, NULL, NULL, NULL, napi_default, NULL},
    {"setLimit", NULL, set_limit, NULL, NULL, NULL, napi_default, NULL},
    {"changeHooks", NULL, change_hooks, NULL, NULL, NULL, napi_default, NULL},
    {"threadCpu", NULL, thread_cpu, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  napi_value version;
  /* 2: trackChanges, drainChanges, setLimit, changeHooks; 3: threadCpu. */
  napi_create_int32(env, 3, &version);
  napi_set_named_property(env, exports, "version", version);
  return exports;
}
