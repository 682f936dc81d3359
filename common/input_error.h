// Errors caused by user input (files, names, values). Library code throws them;
// only main() prints them and picks the exit code.
#pragma once

#include <stdexcept>
#include <string>

namespace weightfault {

// The message already names the file (and key, line) the user must fix.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace weightfault
