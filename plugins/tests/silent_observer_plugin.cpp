// A layer flagged STRATA_PLUGIN_FLAG_OBSERVER whose observer() gives none: refused at start, since
// an observer is kept out of the chain and this one would then do nothing at all.
#include "support/nothing_layer.hpp"

STRATA_LAYER_PLUGIN("test_silent_observer", "1.0.0", strata::test_plugins::nothing_layer, strata::no_config_keys,
                    STRATA_PLUGIN_FLAG_OBSERVER)
