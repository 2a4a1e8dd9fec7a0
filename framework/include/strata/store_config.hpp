#pragma once
/// The Store's options from a plugin's configuration: one reading of the keys every layer that
/// keeps its data in the Store declares (the global and the diary layer). In libstrata_store.

#include <strata/plugin_config.hpp>
#include <strata/store.hpp>

#include <chrono>
#include <utility>

namespace strata::storage {

/// The options from the keys `backend` (`postgres` or `sqlite`), `dsn`, `sqlite_path`,
/// `pool_size`, `connect_timeout` and `statement_timeout` (durations, rounded up to whole
/// milliseconds). The plugin's schema gives their defaults and bounds, and its key conditions
/// refuse a key the backend does not read (a `dsn` with sqlite: ignored, a node its operator took
/// for one sharing a PostgreSQL kept its entries to itself). Throws std::invalid_argument naming
/// the key for an unknown backend, the sqlite backend without a file, or a postgres `dsn` libpq
/// cannot parse (checked without connecting).
store_options store_options_from(const plugin_config& config);

/// The keys `retry_min` and `retry_max` (the backoff of a layer whose database is away), rounded
/// up to whole milliseconds; throws std::invalid_argument naming `retry_max` when it is the smaller.
std::pair<std::chrono::milliseconds, std::chrono::milliseconds> retry_bounds_from(const plugin_config& config);

} // namespace strata::storage
