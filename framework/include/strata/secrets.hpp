#pragma once
// Hiding what a message quotes of credentials, before it lands in a log, a terminal or a CI log.

#include <string>

namespace strata {

/// `text` with the password of a libpq connection string (`password=...`, or the `user:password@`
/// of a postgresql:// URI) and of a URL's `user:password@` replaced by "(hidden)". What the
/// runtime logs of a configuration error passes through it (a plugin's refusal may quote a URL).
std::string without_password(std::string text);

} // namespace strata
