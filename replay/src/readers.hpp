#pragma once
// One reader per trace format, over the bytes of its file.

#include "byte_source.hpp"

#include <strata/replay/trace_reader.hpp>

#include <memory>

namespace strata::replay::detail {

std::unique_ptr<trace_reader> make_oracle_general_reader(std::unique_ptr<input> in);
std::unique_ptr<trace_reader> make_lirs_reader(std::unique_ptr<input> in);
std::unique_ptr<trace_reader> make_int32be_reader(std::unique_ptr<input> in);

} // namespace strata::replay::detail
