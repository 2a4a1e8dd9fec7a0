/* The plugin ABI: one versioned C entry point per shared library.
 *
 * A plugin exports `strata_plugin_entry` (extern "C"), which returns a pointer to a static
 * descriptor. The host refuses a descriptor whose `abi_major` differs from STRATA_ABI_MAJOR or whose
 * `abi_minor` is newer than the host's, and says which file, which symbol and why.
 *
 * Bump rules (see plugins/README.md):
 * - major: any change to an existing field or function signature of this header, or to the layout
 *   or virtual functions of the C++ interfaces a plugin object implements (strata::layer,
 *   strata::read_view) or receives (strata::plugin_config). Old plugins are refused.
 * - minor: a field appended at the end of a struct here, a new plugin kind, a new value type.
 *   A plugin built against minor N loads into any host of the same major with minor >= N.
 *
 * No exception crosses this boundary: `create` reports failure by returning NULL with a message.
 */
#ifndef STRATA_PLUGIN_ABI_H
#define STRATA_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#define STRATA_ABI_MAJOR 1u
#define STRATA_ABI_MINOR 0u

/* The one symbol every plugin exports. */
#define STRATA_PLUGIN_ENTRY_SYMBOL "strata_plugin_entry"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum strata_plugin_kind {
  STRATA_PLUGIN_LAYER = 1,        /* create returns a strata::layer* */
  STRATA_PLUGIN_EMBEDDER = 2,
  STRATA_PLUGIN_EXPORTER = 3,
  STRATA_PLUGIN_ALERT_HANDLER = 4
} strata_plugin_kind;

typedef enum strata_value_type {
  STRATA_VALUE_STRING = 1,
  STRATA_VALUE_INT = 2,      /* a signed 64-bit integer */
  STRATA_VALUE_DOUBLE = 3,
  STRATA_VALUE_BOOL = 4,     /* true / false */
  STRATA_VALUE_DURATION = 5, /* 250ms, 30s, 5m, 1h; bounds in milliseconds */
  STRATA_VALUE_SIZE = 6      /* 512, 64KiB, 64MiB, 1GiB, 10MB; bounds in bytes */
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

/* What the host passes to `create`. */
typedef struct strata_plugin_context {
  uint32_t abi_major;
  uint32_t abi_minor;
  const char* instance_name; /* e.g. the layer's name in the deployment */
  const void* config;        /* a `const strata::plugin_config*`: validated, defaults filled */
} strata_plugin_context;

/* Flags. */
/* The plugin never blocks (no I/O, no sleeping, no long loops): its instances may share the
 * scheduler's threads, which saves a thread wake-up per request. Without this flag each instance
 * gets a thread of its own, so that a layer that blocks or hangs cannot stall the others. */
#define STRATA_PLUGIN_FLAG_COOPERATIVE 1u

typedef struct strata_plugin_descriptor {
  uint32_t abi_major;
  uint32_t abi_minor;
  const char* name;    /* unique among loaded plugins; referenced by `plugin:` in the YAML */
  const char* version; /* the plugin's own version */
  strata_plugin_kind kind;
  uint32_t flags;
  const strata_config_key* config_schema;
  size_t config_schema_size;
  /* Returns a new instance, or NULL after writing a NUL-terminated reason into `error`. */
  void* (*create)(const strata_plugin_context* context, char* error, size_t error_size);
  void (*destroy)(void* instance);
} strata_plugin_descriptor;

typedef const strata_plugin_descriptor* (*strata_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* STRATA_PLUGIN_ABI_H */
