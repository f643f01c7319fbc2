// A failure of the file system (a missing folder, a full disk, no permission).
// The binding raises it in Python as OSError with errno and the file name, so
// callers catch FileNotFoundError, PermissionError, ... as with open().
#pragma once

#include <cstring>
#include <stdexcept>
#include <string>

namespace ctpg {

class FileError : public std::runtime_error {
 public:
  // `what` says what was attempted; `error` is the errno it failed with.
  FileError(const std::string& what, int error, std::string path)
      : std::runtime_error(what + ": " + std::strerror(error)),
        error_(error),
        path_(std::move(path)) {}
  int error() const { return error_; }
  const std::string& path() const { return path_; }

 private:
  int error_;
  std::string path_;
};

}  // namespace ctpg
