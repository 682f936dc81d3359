#include "common/output_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "common/input_error.h"

namespace weightfault {
namespace {

bool same_file(const std::filesystem::path& a, const std::filesystem::path& b) {
  std::error_code ec;
  if (std::filesystem::exists(a, ec) && std::filesystem::exists(b, ec))
    return std::filesystem::equivalent(a, b, ec);
  return std::filesystem::weakly_canonical(a, ec) == std::filesystem::weakly_canonical(b, ec);
}

}  // namespace

OutputFile::OutputFile(std::filesystem::path target, bool overwrite,
                       const std::vector<std::filesystem::path>& inputs)
    : target_(std::move(target)), partial_(target_.string() + ".partial") {
  for (const auto& in : inputs) {
    if (!in.empty() && same_file(in, target_))
      throw InputError(
          fmt::format("{}: the output is one of this command's inputs ({}); "
                      "choose another output file",
                      target_.string(), in.string()));
  }
  std::error_code ec;
  if (std::filesystem::is_directory(target_, ec))
    throw InputError(fmt::format("{}: the output is a directory", target_.string()));
  if (std::filesystem::exists(target_, ec) && !overwrite)
    throw InputError(fmt::format(
        "{}: exists; give --overwrite to replace it, or write to another file", target_.string()));
  if (target_.has_parent_path()) std::filesystem::create_directories(target_.parent_path(), ec);
  // The partial file is created exclusively: it is this run's claim on the target.
  const int fd = ::open(partial_.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0) {
    if (errno == EEXIST)
      throw InputError(fmt::format(
          "{}: another run is writing it ({} exists; if no run is, it is what a killed run "
          "left: keep it to look at, or remove it)",
          target_.string(), partial_.string()));
    throw InputError(fmt::format("{}: cannot create {}: {}", target_.string(), partial_.string(),
                                 std::strerror(errno)));
  }
  ::close(fd);
}

OutputFile::OutputFile(std::filesystem::path target, Resume)
    : target_(std::move(target)), partial_(target_.string() + ".partial"), keep_on_failure_(true) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(partial_, ec))
    throw InputError(fmt::format("{}: nothing to resume ({} not found: a killed run leaves it)",
                                 target_.string(), partial_.string()));
  if (std::filesystem::exists(target_, ec))
    throw InputError(
        fmt::format("{}: exists; a finished run is not resumed (move it away to "
                    "resume {})",
                    target_.string(), partial_.string()));
}

OutputFile::~OutputFile() {
  if (committed_ || keep_on_failure_) return;
  std::error_code ec;
  std::filesystem::remove(partial_, ec);
}

void OutputFile::commit() {
  std::error_code ec;
  std::filesystem::rename(partial_, target_, ec);
  if (ec)
    throw InputError(fmt::format("{}: cannot move {} into place: {}", target_.string(),
                                 partial_.string(), ec.message()));
  committed_ = true;
}

}  // namespace weightfault
