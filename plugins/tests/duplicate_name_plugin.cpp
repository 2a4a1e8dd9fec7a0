// A valid plugin that declares the name of another one ("test_map"): loading both must fail. It
// takes no configuration keys (strata::no_config_keys).
#include "support/nothing_layer.hpp"

STRATA_LAYER_PLUGIN("test_map", "2.0.0", strata::test_plugins::nothing_layer, strata::no_config_keys, 0)
