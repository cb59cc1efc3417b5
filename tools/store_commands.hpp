// `ferry-wire store HOST:PORT ...`: an operator's direct line to one ferry-store (health, put, get, stat,
// delete, list, upload and download of files in chunks), over ferry's own codec. Writes made here carry
// hybrid-logical-clock versions with writer id 0xF1 ("operator"), comparable with ferryd's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ferry::tools {

/// Runs one store command; prints results to stdout and errors to stderr; returns the exit code
/// (0 ok, 1 the store answered with an error status, 2 usage or connection problems).
int run_store_command(const std::string& host, std::uint16_t port, const std::vector<std::string>& words);

}  // namespace ferry::tools
