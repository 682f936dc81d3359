// Writing an output file without losing one (docs/results-format.md, "Safe writes"):
// the program writes `<target>.partial` beside the target and renames it into place
// when the work is done. An existing target is replaced only when asked (--overwrite);
// a target that is one of the command's inputs is refused; and while a partial file
// exists another run writing the same target is refused, so two runs never share one.
#pragma once

#include <filesystem>
#include <vector>

namespace weightfault {

class OutputFile {
 public:
  // Throws InputError naming the target and what to do when it exists (and !overwrite),
  // is one of `inputs` (the same file), or is being written by another run.
  OutputFile(std::filesystem::path target, bool overwrite,
             const std::vector<std::filesystem::path>& inputs);
  // Continues the partial file a killed run left (run --resume): it must exist, and it is
  // never removed by this object.
  struct Resume {};
  OutputFile(std::filesystem::path target, Resume);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  const std::filesystem::path& target() const { return target_; }
  const std::filesystem::path& partial() const { return partial_; }
  // Renames the partial file onto the target.
  void commit();
  // When the work fails: keep the partial file (it holds finished work) instead of
  // removing it.
  void keep_partial_on_failure() { keep_on_failure_ = true; }

 private:
  std::filesystem::path target_, partial_;
  bool committed_ = false, keep_on_failure_ = false;
};

}  // namespace weightfault
