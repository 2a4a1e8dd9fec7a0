#pragma once
// What a semantic or vector request must hold whatever the layer and whichever front end sent it
// (the HTTP and Redis front ends refuse the same in their own words): an empty string when it
// holds, else why not, starting with `where` ("request", "item 2").

#include <strata/entry.hpp>
#include <strata/semantic.hpp>
#include <strata/vectors.hpp>

#include <string>

namespace strata::detail {

/// An empty namespace: a request of a host that forgot to set it, which no entry can answer.
std::string namespace_problem(const std::string& ns, const std::string& where);
std::string request_problem(const entry_options& options, const std::string& where);
std::string request_problem(const semantic_lookup_request& request);
std::string request_problem(const semantic_entry& entry);
std::string request_problem(const semantic_update& update);
std::string request_problem(const vector_item& item, const std::string& where);
std::string request_problem(const vector_query& query, const std::string& where);

} // namespace strata::detail
