/* The plugin ABI: one versioned C entry point per shared library.
 *
 * A plugin exports `strata_plugin_entry` (extern "C"), which returns a pointer to a static
 * descriptor. The host refuses a descriptor whose `abi_major` differs from STRATA_ABI_MAJOR or whose
 * `abi_minor` is newer than the host's, and says which file, which symbol and why.
 *
 * Bump rules (plugins/README.md lists the same). The ABI is this header and the C++ types a
 * plugin's binary depends on: those of strata/sdk.hpp and the headers it includes, and of
 * strata/semantic.hpp and strata/vectors.hpp.
 * - major: any change to an existing field, value or function signature of this header, or to what
 *   one means; any change to the layout, the virtual functions or the meaning of a C++ type that
 *   a plugin
 *     implements: strata::layer, strata::read_view, strata::semantic_operations,
 *       strata::vector_operations, strata::interaction_observer, strata::embedder,
 *       strata::exporter, strata::alert_handler;
 *     receives or fills: strata::plugin_config, strata::entry_options, strata::layer_hit,
 *       strata::interaction, the semantic requests and answers (semantic_lookup_request,
 *       semantic_match, semantic_entry, semantic_update, embedding), the vector ones
 *       (vector_item, vector_query, vector_hit), the instruments of strata/instruments.hpp
 *       (counter, gauge, histogram), strata::telemetry_source and strata::telemetry_snapshot with
 *       what it holds (metric_family, metric_sample, runtime_stats, window_stats, health_report,
 *       layer_health, system_check), strata::alert_event;
 *     throws for the host to catch: strata::layer_unavailable, strata::layer_declined;
 *   or to the values of the enums these carry (strata::status, health_level, interaction_kind,
 *   alert_severity, alert_transition, metric_type, stats_window). A field added to one of those
 *   C++ structs is a major change even at the end: both sides copy them and walk vectors of them
 *   by their size. Plugins of another major are refused.
 * - minor: a field appended at the end of a struct of this header that is never in an array (not
 *   strata_config_key nor strata_key_condition: the host walks those arrays by their size), read
 *   only from, or given only to, plugins of that minor or newer; a new plugin kind; a new value
 *   type; a new flag; a virtual function appended at the end of a C++ interface, which the host
 *   calls only for a plugin whose descriptor declares the minor that appended it (an older
 *   plugin's vtable has no such slot).
 *   A plugin built against minor N loads into any host of the same major with minor >= N.
 *
 * History: 1.0 the first; 1.1 appended `host` (metrics, health, logging) and `source` (exporters)
 * to strata_plugin_context, and defined the exporter and alert-handler kinds. 1.2 appended
 * strata::layer::semantic(), vectors(), command() and observer() (called for plugins of minor >= 2
 * only), `invalidate_key`, `invalidate_tag` and `prefetch` to strata_host_api, the flag
 * STRATA_PLUGIN_FLAG_OBSERVER, and defined STRATA_PLUGIN_EMBEDDER (create returns a
 * strata::embedder*; needs 1.2). 1.3 appended `check` to strata_plugin_descriptor (read only from
 * descriptors of minor >= 3). 1.4 appended strata::layer::put_prefetched() (called for plugins of
 * minor >= 4 only; an older one receives a prefetch's fill as a put). 1.5 appended
 * strata::layer::put_kept() (an EXPIRE's write-back, called for plugins of minor >= 5 only; an
 * older one receives it as a put). 1.6 defined the value types STRATA_VALUE_FILE and
 * STRATA_VALUE_LISTEN_ADDRESS, so that `strata check-config` refuses two parts of a deployment on
 * one file or one port. 1.7 appended `default_deadline_ms` to strata_plugin_descriptor (read only
 * from descriptors of minor >= 7), so that a layer that waits on a server gets a deadline above
 * its own timeouts without the deployment naming one, and defined the value type
 * STRATA_VALUE_TIMEOUT, so that the host refuses such a timeout at or above the deadline. 1.8
 * appended `key_conditions` and `key_conditions_size` to strata_plugin_descriptor (read only from
 * descriptors of minor >= 8) and defined strata_key_condition, so that the host refuses a key
 * set where it does nothing (a PostgreSQL pool size with the sqlite backend).
 *
 * No exception crosses this header's functions: `create` reports failure by returning NULL with
 * a message, `check` by returning 0 with one.
 */
#ifndef STRATA_PLUGIN_ABI_H
#define STRATA_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#define STRATA_ABI_MAJOR 1u
#define STRATA_ABI_MINOR 8u

/* The one symbol every plugin exports. */
#define STRATA_PLUGIN_ENTRY_SYMBOL "strata_plugin_entry"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum strata_plugin_kind {
  STRATA_PLUGIN_LAYER = 1,        /* create returns a strata::layer* */
  STRATA_PLUGIN_EMBEDDER = 2,       /* create returns a strata::embedder* (since 1.2) */
  STRATA_PLUGIN_EXPORTER = 3,     /* create returns a strata::exporter* */
  STRATA_PLUGIN_ALERT_HANDLER = 4 /* create returns a strata::alert_handler* */
} strata_plugin_kind;

typedef enum strata_value_type {
  STRATA_VALUE_STRING = 1,
  STRATA_VALUE_INT = 2,      /* a signed 64-bit integer */
  STRATA_VALUE_DOUBLE = 3,
  STRATA_VALUE_BOOL = 4,     /* true / false */
  STRATA_VALUE_DURATION = 5, /* 250ms, 30s, 5m, 1h; bounds in milliseconds */
  STRATA_VALUE_SIZE = 6,     /* 512, 64KiB, 64MiB, 1GiB, 10MB; bounds in bytes */
  /* Since 1.6, read as strings. A file the instance writes and no other part of the deployment
   * may (the host refuses two on one, or one on logging.output); empty: none; "-": standard output. */
  STRATA_VALUE_FILE = 7,
  /* Since 1.6, read as a string. host:port the instance listens on ([::1]:port for IPv6; port 0:
   * any free one): the host checks its form and refuses two parts of the deployment on one port. */
  STRATA_VALUE_LISTEN_ADDRESS = 8,
  /* Since 1.7, read as a duration. How long one request may wait on something (a statement, a
   * connection attempt): for a layer the host refuses a value not below the layer's deadline, at
   * which the coordinator answers the request `timeout` before the layer could answer on its own
   * (and, 5 s past it, takes the instance to hang). Elsewhere a plain duration. */
  STRATA_VALUE_TIMEOUT = 9
} strata_value_type;

/* One key of a plugin's configuration schema. */
typedef struct strata_config_key {
  const char* key;
  strata_value_type type;
  const char* default_value; /* NULL: the key is required */
  const char* description;
  int has_min;
  double min;
  int has_max;
  double max;
} strata_config_key;

/* Since 1.8. A key of the schema that applies only when another key of it (`when_key`, a string or
 * bool key) has the value `when_value`: the host refuses the key where a configuration sets it to
 * other than its default and `when_key`'s value (given, or its default) is not one of the values
 * the conditions on that key and that `when_key` name (a key at its default changes nothing
 * either way, and a configuration the host validated holds every key). Several conditions on one
 * key and one `when_key` are alternatives ({"train_min", "index", "ivf"}, {"train_min", "index",
 * "hnsw"}); conditions on one key naming two `when_key`s must all hold. A key that has conditions
 * has a default (it is not required). */
typedef struct strata_key_condition {
  const char* key;
  const char* when_key;
  const char* when_value;
} strata_key_condition;

typedef enum strata_metric_kind {
  STRATA_METRIC_COUNTER = 1,  /* returns a strata::instruments::counter* */
  STRATA_METRIC_GAUGE = 2,    /* returns a strata::instruments::gauge* */
  STRATA_METRIC_HISTOGRAM = 3 /* returns a strata::instruments::histogram* */
} strata_metric_kind;

typedef enum strata_health_level {
  STRATA_HEALTH_HEALTHY = 0,
  STRATA_HEALTH_WARNING = 1,
  STRATA_HEALTH_CRITICAL = 2
} strata_health_level;

typedef enum strata_log_level {
  STRATA_LOG_DEBUG = 1,
  STRATA_LOG_INFO = 2,
  STRATA_LOG_WARN = 3,
  STRATA_LOG_ERROR = 4
} strata_log_level;

/* What the host offers a plugin instance (ABI 1.1; `prefetch` since 1.2). Every function is thread-safe and takes
 * `host` first. The table and `host` outlive the instance. */
typedef struct strata_host_api {
  void* host;
  /* Registers, or finds, the instrument of family `name` for the given labels. The host adds
   * the label naming the instance (`cache_layer` for a layer). Returns the instrument, which
   * lives as long as the runtime, or NULL after writing a reason into `error` (an invalid name, a
   * family already registered with another kind, labels or buckets). `label_names` and
   * `label_values` hold `label_count` strings each (NULL only when it is 0). `bounds` (histograms only,
   * ascending; NULL: the default latency buckets, 1 us to 5 s). Call it once and keep the result:
   * recording is then lock-free. */
  void* (*metric)(void* host, strata_metric_kind kind, const char* name, const char* help,
                  const char* const* label_names, const char* const* label_values, size_t label_count,
                  const double* bounds, size_t bound_count, char* error, size_t error_size);
  /* Reports the instance's health; `detail` says why (may be NULL). Kept until the next report. */
  void (*set_health)(void* host, strata_health_level level, const char* detail);
  /* Writes `message` to the runtime's log, with the instance's name. */
  void (*log)(void* host, strata_log_level level, const char* message);
  /* Since 1.2. Asks the runtime to drop `key` (or every entry tagged `tag`) of namespace `ns`
   * from every other layer of the chain, as an erase or a tag invalidation does, without calling
   * this instance back (a change heard from another process is not sent out again). Returns at
   * once; the layers drop their copies a moment later. Nothing for exporters and handlers. The
   * strings need not be NUL-terminated (keys may hold any byte). */
  void (*invalidate_key)(void* host, const char* ns, size_t ns_size, const char* key, size_t key_size);
  void (*invalidate_tag)(void* host, const char* ns, size_t ns_size, const char* tag, size_t tag_size);
  /* Since 1.2, layers only. Asks the runtime to load `key` of namespace `ns` into this layer
   * before anyone asks for it (a prefetch). One-way: it returns at once and never blocks. The
   * coordinator looks the key up in the layers below this one, then asks the host's loader, and
   * writes what it finds into this layer (strata::layer::put_prefetched for plugins of minor >= 4,
   * put for older ones); it writes nothing when a put, erase or tag
   * invalidation reached the key meanwhile (no stale value comes back) or nothing was found; a
   * get that misses the key while the loader is asked waits for that call. Returns 1 when the request was passed on, 0 when this host does not prefetch (a layer
   * outside a running deployment, or still in its factory as the deployment starts). The strings need not be NUL-terminated. */
  int (*prefetch)(void* host, const char* ns, size_t ns_size, const char* key, size_t key_size);
} strata_host_api;

/* What the host passes to `create`. */
typedef struct strata_plugin_context {
  uint32_t abi_major;
  uint32_t abi_minor;
  const char* instance_name; /* e.g. the layer's name in the deployment */
  const void* config;        /* a `const strata::plugin_config*`: validated, defaults filled */
  const strata_host_api* host; /* since 1.1; never NULL from a 1.1 host */
  void* source; /* since 1.1: exporters only, a `strata::telemetry_source*`; NULL otherwise */
} strata_plugin_context;

/* Flags. */
/* The plugin never blocks (no I/O, no sleeping, no long loops): its instances may share the
 * scheduler's threads, which saves a thread wake-up per request. Without this flag each instance
 * gets a thread of its own, so that a layer that blocks or hangs cannot stall the others. */
#define STRATA_PLUGIN_FLAG_COOPERATIVE 1u
/* Since 1.2, layers only. The layer is not in the chain: no get, put, erase or tag invalidation is
 * sent to it; instead the runtime hands it every interaction through strata::layer::observer()
 * (the diary). It still receives its own commands and maintenance. */
#define STRATA_PLUGIN_FLAG_OBSERVER 2u

typedef struct strata_plugin_descriptor {
  uint32_t abi_major;
  uint32_t abi_minor;
  const char* name;    /* unique among loaded plugins; referenced by `plugin:` in the YAML */
  const char* version; /* the plugin's own version */
  strata_plugin_kind kind;
  uint32_t flags;
  const strata_config_key* config_schema;
  size_t config_schema_size;
  /* Returns a new instance, or NULL after writing a NUL-terminated reason into `error` (the host's
   * buffer holds 4096 bytes; the SDK's macros cut a longer reason there). */
  void* (*create)(const strata_plugin_context* context, char* error, size_t error_size);
  void (*destroy)(void* instance);
  /* Since 1.3; may be NULL. Checks a configuration (a `const strata::plugin_config*`, validated
   * against the schema, defaults filled) for what the schema cannot say: a value from a list, a
   * URL's form, keys that exclude each other. Creates nothing and touches no file, socket or
   * server, since `strata check-config` and a reload run it where the deployment may not run yet.
   * Returns 1 when the configuration is acceptable, else 0 after writing a NUL-terminated reason
   * into `error`; a reason that starts with one of the instance's keys and ':' ("policy: 'x' is
   * not ...") is reported at that key. Several reasons go one per line ('\n' between them), each
   * reported at its own key, or at the instance when it names none; a line that starts with a
   * space continues the reason before it (a line break in a quoted value: the SDK's
   * strata::config_refusals writes them so); the host's buffer holds 4096 bytes. `create` must still refuse what
   * `check` refuses. */
  int (*check)(const void* config, char* error, size_t error_size);
  /* Since 1.7, layers only (the host refuses another kind that sets it). How long the coordinator
   * waits for the layer's answer when the deployment gives the layer no `deadline`; 0: the
   * runtime's 100 ms. A layer whose operations wait on a server declares one above its own
   * timeouts, so that a slow statement answers the layer's `unavailable` rather than the
   * coordinator's `timeout`. */
  uint32_t default_deadline_ms;
  /* Since 1.8; may be NULL with a size of 0. The keys that apply only when another key has a
   * given value (strata_key_condition), so that a key set where it does nothing is refused rather
   * than ignored. */
  const strata_key_condition* key_conditions;
  size_t key_conditions_size;
} strata_plugin_descriptor;

typedef const strata_plugin_descriptor* (*strata_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* STRATA_PLUGIN_ABI_H */
