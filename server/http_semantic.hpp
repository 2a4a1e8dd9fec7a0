#pragma once
// The routes of the semantic and vector APIs: lookup, store, update and delete of semantic
// entries; add (one or a batch), search (one or a batch), update and delete of vectors. Each
// handler parses its request (http_requests.hpp), calls the runtime in the server's thread, and
// answers with http_responses.hpp or a JSON error.

#include <string>

namespace httplib {
struct Request;
struct Response;
} // namespace httplib

namespace strata {
class runtime;
}

namespace strata::server {

// `req.matches[1]`, where a route captures one, is the entry's id.
void lookup_semantic(runtime& rt, const httplib::Request& req, const std::string& body, httplib::Response& res);
void store_semantic(runtime& rt, const httplib::Request& req, const std::string& body, httplib::Response& res);
void update_semantic(runtime& rt, const httplib::Request& req, const std::string& body, httplib::Response& res);
void delete_semantic(runtime& rt, const httplib::Request& req, const std::string& body, httplib::Response& res);
void add_vector(runtime& rt, const httplib::Request& req, const std::string& body, httplib::Response& res);
void add_vectors(runtime& rt, const httplib::Request& req, const std::string& body, httplib::Response& res);
void search_vectors(runtime& rt, const httplib::Request& req, const std::string& body, httplib::Response& res);
void search_vectors_batch(runtime& rt, const httplib::Request& req, const std::string& body, httplib::Response& res);
void update_vector(runtime& rt, const httplib::Request& req, const std::string& body, httplib::Response& res);
void delete_vector(runtime& rt, const httplib::Request& req, const std::string& body, httplib::Response& res);

} // namespace strata::server
