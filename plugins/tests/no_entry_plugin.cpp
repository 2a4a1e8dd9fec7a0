// A shared library without the entry symbol: the loader must refuse it.
extern "C" __attribute__((visibility("default"))) int strata_not_a_plugin(void) { return 42; }
