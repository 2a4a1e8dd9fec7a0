// A plugin whose strata_plugin_entry is data, not a function: called, it would jump into bytes
// that are not code and end the host (the checks before a reload included). The loader refuses it.
extern "C" __attribute__((visibility("default"))) const unsigned char strata_plugin_entry[16] = {0};
